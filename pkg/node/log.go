package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// LogHandler writes log lines in calico/node's shape:
//
//	2026-01-02 15:04:05.000 [INFO][1234] node: Using node name: node1
type LogHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	level slog.Leveler
	attrs []slog.Attr
}

// NewLogHandler writes to w from level up.
func NewLogHandler(w io.Writer, level slog.Leveler) *LogHandler {
	return &LogHandler{mu: &sync.Mutex{}, w: w, level: level}
}

func (h *LogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *LogHandler) Handle(_ context.Context, r slog.Record) error {
	level := map[slog.Level]string{slog.LevelDebug: "DEBUG", slog.LevelInfo: "INFO", slog.LevelWarn: "WARNING", slog.LevelError: "ERROR"}[r.Level]
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s][%d] node: %s", r.Time.Format("2006-01-02 15:04:05.000"), level, os.Getpid(), r.Message)
	write := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%q", a.Key, a.Value.String())
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

func (h *LogHandler) WithGroup(string) slog.Handler { return h }

// ParseLogLevel reads Calico's log severities (debug, info, warning, error, fatal).
func ParseLogLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "debug", "trace":
		return slog.LevelDebug
	case "warning", "warn":
		return slog.LevelWarn
	case "error", "fatal", "panic", "critical", "none":
		return slog.LevelError
	}
	return slog.LevelInfo
}
