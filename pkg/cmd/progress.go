package cmd

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// ProgressThreshold is the number of items from which long work shows a progress bar; smaller
// batches end before a bar would be read.
const ProgressThreshold = 100

// Progress is a progress bar on stderr, shown only when stderr is a terminal, so that pipes,
// files and CI logs never receive one. A nil *Progress does nothing, so callers need no checks.
type Progress struct {
	bar *progressbar.ProgressBar
}

// Progress starts a bar for total items described by what ("applying"), or returns nil when
// there is no terminal to draw it on or too little work to be worth it. Any long-running
// command (apply, delete, ipam check, datastore migrate) uses this one hook.
func (f *Factory) Progress(total int, what string) *Progress {
	if total < ProgressThreshold || !isTerminal(f.ErrOut) {
		return nil
	}
	return &Progress{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(f.ErrOut),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionClearOnFinish(),
	)}
}

// Add counts n items done; it is safe from several goroutines.
func (p *Progress) Add(n int) {
	if p != nil {
		_ = p.bar.Add(n)
	}
}

// Done removes the bar, so that the command's own output starts on a clean line.
func (p *Progress) Done() {
	if p != nil {
		_ = p.bar.Finish()
	}
}

// isTerminal reports whether w is a terminal (stderr of an interactive shell).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressWords describe the commands' work on their bars.
var progressWords = map[string]string{"create": "creating", "apply": "applying", "replace": "replacing", "delete": "deleting", "import": "importing"}

// batch is client.Batch with a progress bar: the per-object work of the command verb ("apply").
func (f *Factory) batch(ctx context.Context, verb string, objs []resources.Resource, fn func(context.Context, resources.Resource) error) []error {
	what, ok := progressWords[verb]
	if !ok {
		what = verb
	}
	p := f.Progress(len(objs), what)
	if p == nil {
		return client.Batch(ctx, objs, fn)
	}
	defer p.Done()
	return client.Batch(ctx, objs, func(ctx context.Context, obj resources.Resource) error {
		err := fn(ctx, obj)
		p.Add(1)
		return err
	})
}

// ipamProgress draws the bars of pkg/ipam's long operations (ipam check, release of a report,
// the IPAM part of a migration import) with the same hook.
type ipamProgress struct {
	f   *Factory
	bar *Progress
}

func (p *ipamProgress) Start(total int, what string) {
	p.bar.Done()
	p.bar = p.f.Progress(total, what)
}

func (p *ipamProgress) Add(n int) { p.bar.Add(n) }

func (p *ipamProgress) Done() {
	p.bar.Done()
	p.bar = nil
}

// ipamContext is the command's context with IPAM progress reported on the terminal.
func (f *Factory) ipamContext() context.Context {
	return ipam.WithProgress(f.ctx(), &ipamProgress{f: f})
}
