// Package source gathers what the policy evaluator works on: the policy-related objects of a
// datastore (either backend), of -f files, or of files laid over a datastore's state.
package source

import (
	"context"
	"fmt"
	"io"
	"sync"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/manifest"
	"github.com/calicoctl-go/calicoctl/pkg/policy"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// Kinds are the Calico kinds policy evaluation reads.
var Kinds = []string{
	api.KindTier, api.KindGlobalNetworkPolicy, api.KindNetworkPolicy, api.KindStagedGlobalNetworkPolicy,
	api.KindStagedNetworkPolicy, api.KindStagedKubernetesNetworkPolicy, api.KindProfile,
	api.KindWorkloadEndpoint, api.KindHostEndpoint, api.KindNetworkSet, api.KindGlobalNetworkSet,
}

// Options say where the objects come from.
type Options struct {
	// Files are -f arguments: files, directories, or "-" for Stdin.
	Files     []string
	Recursive bool
	Stdin     io.Reader
	// Client is the datastore, or nil for files alone. With files too, the files' objects
	// replace the datastore's of the same kind, namespace and name.
	Client *client.Client
	// KeepInvalid reports invalid file objects in Result.Invalid instead of failing (lint).
	KeepInvalid bool
}

// Result is the model and what came from files.
type Result struct {
	Model *policy.Model
	// FromFiles holds the kind/namespace/name keys of the files' objects.
	FromFiles map[string]bool
	// Invalid are file objects that failed validation (with KeepInvalid), as findings.
	Invalid []policy.Finding
}

// Key identifies an object for overlaying and for lint's subjects.
func Key(kind, namespace, name string) string { return kind + "/" + namespace + "/" + name }

// kubernetesPolicyLister is implemented by the Kubernetes datastore.
type kubernetesPolicyLister interface {
	KubernetesNetworkPolicies(ctx context.Context) ([]*networkingv1.NetworkPolicy, error)
}

// Load reads the objects and builds the model.
func Load(ctx context.Context, opts Options) (*Result, error) {
	res := &Result{FromFiles: map[string]bool{}}
	var fileObjs []resources.Resource
	for _, f := range opts.Files {
		objs, err := manifest.LoadWith(f, opts.Recursive, opts.Stdin, policy.DecodeKubernetes)
		if err != nil {
			return nil, err
		}
		fileObjs = append(fileObjs, objs...)
	}
	var valid []resources.Resource
	var knps []*networkingv1.NetworkPolicy
	for _, o := range fileObjs {
		if np, ok := o.(*networkingv1.NetworkPolicy); ok {
			knps = append(knps, np)
			res.FromFiles[Key(api.KindNetworkPolicy, np.Namespace, policy.KubernetesPolicyPrefix+np.Name)] = true
			continue
		}
		kind, err := resources.KindOf(o)
		if err != nil {
			return nil, err
		}
		if err := client.Prepare(o); err != nil {
			if !opts.KeepInvalid {
				return nil, fmt.Errorf("%s is invalid: %w", kind.ID(o.GetNamespace(), o.GetName()), err)
			}
			res.Invalid = append(res.Invalid, policy.Finding{Severity: policy.SeverityError, Check: policy.CheckInvalid,
				Kind: kind.Kind, Namespace: o.GetNamespace(), Name: o.GetName(), Message: err.Error()})
			res.FromFiles[Key(kind.Kind, o.GetNamespace(), o.GetName())] = true
			// Lint still reads its rules: its own checks say which rule is wrong.
			valid = append(valid, o)
			continue
		}
		res.FromFiles[Key(kind.Kind, o.GetNamespace(), o.GetName())] = true
		valid = append(valid, o)
	}
	var objs []resources.Resource
	if opts.Client != nil {
		stored, storedKNPs, err := list(ctx, opts.Client)
		if err != nil {
			return nil, err
		}
		for _, o := range stored {
			kind, _ := resources.KindOf(o)
			if !res.FromFiles[Key(kind.Kind, o.GetNamespace(), o.GetName())] {
				objs = append(objs, o)
			}
		}
		for _, np := range storedKNPs {
			if !res.FromFiles[Key(api.KindNetworkPolicy, np.Namespace, policy.KubernetesPolicyPrefix+np.Name)] {
				knps = append(knps, np)
			}
		}
	}
	objs = append(objs, valid...)
	res.Model = policy.NewModel(policy.Input{Resources: objs, KubernetesPolicies: knps})
	return res, nil
}

// list reads every kind policy evaluation needs, concurrently, and the Kubernetes
// NetworkPolicies when the datastore is Kubernetes.
func list(ctx context.Context, c *client.Client) ([]resources.Resource, []*networkingv1.NetworkPolicy, error) {
	results := make([][]resources.Resource, len(Kinds))
	errs := make([]error, len(Kinds)+1)
	var knps []*networkingv1.NetworkPolicy
	var wg sync.WaitGroup
	for i, name := range Kinds {
		kind, ok := resources.ByKind(name)
		if !ok {
			return nil, nil, fmt.Errorf("kind %s is not registered", name)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := c.List(ctx, kind, datastore.ListOptions{})
			if err != nil {
				errs[i] = fmt.Errorf("listing %s: %w", kind.Plural, err)
				return
			}
			results[i] = l.Items
		}()
	}
	if kl, ok := c.Store().(kubernetesPolicyLister); ok {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if knps, err = kl.KubernetesNetworkPolicies(ctx); err != nil {
				errs[len(Kinds)] = fmt.Errorf("listing Kubernetes NetworkPolicies: %w", err)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, err
		}
	}
	var out []resources.Resource
	for _, r := range results {
		out = append(out, r...)
	}
	return out, knps, nil
}
