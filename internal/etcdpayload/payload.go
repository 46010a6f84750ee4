// Package etcdpayload carries the calicoctl-etcd program inside calicoctl. `make build` builds
// cmd/calicoctl-etcd, compresses it into bin/ here, and then builds calicoctl, which embeds it; a
// calicoctl built without that step has no payload and looks for calicoctl-etcd beside itself or
// on PATH instead.
package etcdpayload

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
)

//go:embed all:bin
var payload embed.FS

const (
	payloadName = "bin/calicoctl-etcd.gz"
	// ProgramName is the etcd program's file name beside calicoctl or on PATH.
	ProgramName = "calicoctl-etcd"
)

// Path returns an executable calicoctl-etcd: $CALICOCTL_ETCD if set, else the embedded one
// (unpacked once into the user's cache directory), else one beside calicoctl, else one on PATH.
func Path() (string, error) {
	if p := os.Getenv("CALICOCTL_ETCD"); p != "" {
		return p, nil
	}
	if gz, err := payload.ReadFile(payloadName); err == nil {
		return unpack(gz)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if self, err := os.Executable(); err == nil {
		beside := filepath.Join(filepath.Dir(self), ProgramName)
		if _, err := os.Stat(beside); err == nil {
			return beside, nil
		}
	}
	if p, err := exec.LookPath(ProgramName); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("this calicoctl was built without its embedded etcd and no %s was found beside it or on PATH: build with `make build` (or `go build -o bin/%s ./cmd/%s`)", ProgramName, ProgramName, ProgramName)
}

// unpack writes the embedded program to the cache once, named by its content hash.
func unpack(gz []byte) (string, error) {
	sum := sha256.Sum256(gz)
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "calicoctl")
	path := filepath.Join(dir, ProgramName+"-"+hex.EncodeToString(sum[:6]))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("unpacking the embedded etcd: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return "", fmt.Errorf("unpacking the embedded etcd: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ProgramName+"-*.tmp")
	if err != nil {
		return "", fmt.Errorf("unpacking the embedded etcd: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, zr); err != nil {
		tmp.Close()
		return "", fmt.Errorf("unpacking the embedded etcd: %w", err)
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("unpacking the embedded etcd: %w", err)
	}
	return path, nil
}
