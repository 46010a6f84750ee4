package kubernetes

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// Profile names and label prefixes of the profiles derived from namespaces and service accounts.
const (
	NamespaceProfilePrefix      = "kns."
	ServiceAccountProfilePrefix = "ksa."
	namespaceLabelPrefix        = "pcns."
	serviceAccountLabelPrefix   = "pcsa."
	nameLabel                   = "projectcalico.org/name"
)

func (s *Store) getProfile(ctx context.Context, kind *resources.Kind, name string) (resources.Resource, error) {
	id := kind.ID("", name)
	switch {
	case strings.HasPrefix(name, NamespaceProfilePrefix):
		var ns *corev1.Namespace
		err := s.do(ctx, retryLostAnswer, id, "", func(ctx context.Context) error {
			ns = &corev1.Namespace{}
			return s.core.get(ctx, "namespaces", "", strings.TrimPrefix(name, NamespaceProfilePrefix), ns)
		})
		if err != nil {
			return nil, err
		}
		return namespaceToProfile(ns), nil
	case strings.HasPrefix(name, ServiceAccountProfilePrefix):
		parts := strings.SplitN(name, ".", 3)
		if len(parts) != 3 {
			return nil, &datastore.DoesNotExistError{ID: id}
		}
		var sa *corev1.ServiceAccount
		err := s.do(ctx, retryLostAnswer, id, "", func(ctx context.Context) error {
			sa = &corev1.ServiceAccount{}
			return s.core.get(ctx, "serviceaccounts", parts[1], parts[2], sa)
		})
		if err != nil {
			return nil, err
		}
		return serviceAccountToProfile(sa), nil
	}
	return nil, &datastore.DoesNotExistError{ID: id}
}

func (s *Store) listProfiles(ctx context.Context, kind *resources.Kind, opts datastore.ListOptions) (*datastore.List, error) {
	l := &datastore.List{Kind: kind}
	if opts.Name != "" && !opts.Prefix {
		p, err := s.getProfile(ctx, kind, opts.Name)
		switch {
		case err == nil:
			l.Items = append(l.Items, p)
		case !datastore.IsDoesNotExist(err):
			return nil, err
		}
		return l, nil
	}
	nsRV, err := pageTyped(ctx, s, kind.Kind, metav1.ListOptions{}, func(ctx context.Context, lo metav1.ListOptions) (metav1.ListMeta, error) {
		list := &corev1.NamespaceList{}
		if err := s.core.list(ctx, "namespaces", "", lo, list); err != nil {
			return metav1.ListMeta{}, err
		}
		for i := range list.Items {
			l.Items = append(l.Items, namespaceToProfile(&list.Items[i]))
		}
		return list.ListMeta, nil
	})
	if err != nil {
		return nil, err
	}
	saRV, err := pageTyped(ctx, s, kind.Kind, metav1.ListOptions{}, func(ctx context.Context, lo metav1.ListOptions) (metav1.ListMeta, error) {
		list := &corev1.ServiceAccountList{}
		if err := s.core.list(ctx, "serviceaccounts", "", lo, list); err != nil {
			return metav1.ListMeta{}, err
		}
		for i := range list.Items {
			l.Items = append(l.Items, serviceAccountToProfile(&list.Items[i]))
		}
		return list.ListMeta, nil
	})
	if err != nil {
		return nil, err
	}
	l.ResourceVersion = nsRV + "/" + saRV
	return l, nil
}

// namespaceToProfile is the profile kns.<namespace>: it allows all traffic and gives endpoints
// the namespace's labels, prefixed pcns.
func namespaceToProfile(ns *corev1.Namespace) *api.Profile {
	p := &api.Profile{}
	p.APIVersion, p.Kind = api.GroupVersion, api.KindProfile
	p.Name = NamespaceProfilePrefix + ns.Name
	p.CreationTimestamp = ns.CreationTimestamp
	if uid, err := ConvertUID(ns.UID); err == nil {
		p.UID = uid
	}
	p.ResourceVersion = ns.ResourceVersion + "/"
	labels := map[string]string{namespaceLabelPrefix + nameLabel: ns.Name}
	for k, v := range ns.Labels {
		labels[namespaceLabelPrefix+k] = v
	}
	p.Spec = api.ProfileSpec{
		Ingress:       []api.Rule{{Action: api.Allow}},
		Egress:        []api.Rule{{Action: api.Allow}},
		LabelsToApply: labels,
	}
	return p
}

// serviceAccountToProfile is the profile ksa.<namespace>.<name>: no rules, the service account's
// labels prefixed pcsa.
func serviceAccountToProfile(sa *corev1.ServiceAccount) *api.Profile {
	p := &api.Profile{}
	p.APIVersion, p.Kind = api.GroupVersion, api.KindProfile
	ns := sa.Namespace
	if ns == "" {
		ns = "default"
	}
	p.Name = ServiceAccountProfilePrefix + ns + "." + sa.Name
	p.CreationTimestamp = sa.CreationTimestamp
	if uid, err := ConvertUID(sa.UID); err == nil {
		p.UID = uid
	}
	p.ResourceVersion = "/" + sa.ResourceVersion
	labels := map[string]string{serviceAccountLabelPrefix + nameLabel: sa.Name}
	for k, v := range sa.Labels {
		labels[serviceAccountLabelPrefix+k] = v
	}
	p.Spec.LabelsToApply = labels
	return p
}
