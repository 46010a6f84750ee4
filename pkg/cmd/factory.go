// Package cmd holds the calicoctl commands. Each command parses its flags into an Options
// struct, calls the client and printer packages, and prints; none holds datastore logic.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/version"
)

// IOStreams are where a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// Factory builds what commands share: streams and datastore clients.
type Factory struct {
	IOStreams
	// AllowVersionMismatch is the --allow-version-mismatch flag.
	AllowVersionMismatch bool
	// Context is the root context of the invocation.
	Context context.Context
	// CommandName is how the operator runs this binary ("calicoctl", "kubectl calico"), for
	// messages that suggest a command.
	CommandName string
}

func (f *Factory) commandName() string {
	if f.CommandName == "" {
		return "calicoctl"
	}
	return f.CommandName
}

// Client connects to the datastore named by the configuration at configPath ("" for the
// default) and, unless told otherwise, checks that the cluster runs a compatible Calico.
func (f *Factory) Client(configPath string, checkVersion bool) (*client.Client, error) {
	cfg, err := config.Load(configPath)
	if err != nil {
		var nf *config.FileNotFoundError
		if errors.As(err, &nf) {
			return nil, err
		}
		return nil, fmt.Errorf("Failed to create Calico API client: %w", err)
	}
	c, err := client.New(cfg)
	if err != nil {
		if datastore.IsConnection(err) {
			return nil, err // says what is wrong with the connection and what to set
		}
		return nil, fmt.Errorf("Failed to create Calico API client: %w", err)
	}
	if checkVersion && !f.AllowVersionMismatch {
		if err := checkVersionMismatch(f.ctx(), c); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

func (f *Factory) ctx() context.Context {
	if f.Context == nil {
		return context.Background()
	}
	return f.Context
}

// checkVersionMismatch compares the client's version with ClusterInformation default. Unlike
// calicoctl, which wants the same x.y.z, only major.minor must agree: patch releases share the
// API, and operators managing several clusters cannot match every patch level.
func checkVersionMismatch(ctx context.Context, c *client.Client) error {
	kind, ok := resources.ByKind("ClusterInformation")
	if !ok {
		return nil
	}
	obj, err := c.Get(ctx, kind, "", "default")
	switch {
	case datastore.IsDoesNotExist(err):
		return nil
	case err != nil:
		if datastore.IsConnection(err) {
			return err // a connection failure, not a version problem: no version-mismatch hint
		}
		return fmt.Errorf("unable to get Cluster Information to verify version mismatch: %w\nUse --allow-version-mismatch to override", err)
	}
	ci := obj.(*api.ClusterInformation)
	if ci.Spec.CalicoVersion == "" {
		return nil
	}
	if version.MajorMinor(ci.Spec.CalicoVersion) != version.MajorMinor(version.Version) {
		stripped := strings.TrimPrefix(ci.Spec.CalicoVersion, "v")
		stripped, _, _ = strings.Cut(stripped, "-")
		return fmt.Errorf("version mismatch.\nClient Version:   %s\nCluster Version:  %s\nUse --allow-version-mismatch to override", version.Version, stripped)
	}
	return nil
}

// stdinOr returns the input stream.
func (f *Factory) stdin() io.Reader {
	if f.In == nil {
		return os.Stdin
	}
	return f.In
}

var metaTimeZero = metav1.Time{}
