// Package etcdv3 stores Calico resources in etcd v3 exactly as Calico does: one key per object
// under /calico/resources/v3/projectcalico.org/<plural>/[<namespace>/]<name>, the JSON of the
// full object as the value, and the key's ModRevision as the resourceVersion.
package etcdv3

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/grpclog"
	"google.golang.org/grpc/status"

	"github.com/calicoctl-go/calicoctl/internal/parallel"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// Root is the prefix of every v3 resource key.
const Root = "/calico/resources/v3/projectcalico.org/"

// policyNameAnnotation carries a policy's v3 name in the stored value, as Calico writes it.
const policyNameAnnotation = "projectcalico.org/metadata"

// pageSize bounds one range request of a list.
const pageSize = 2000

func init() {
	// gRPC would otherwise print its connection warnings on the operator's terminal.
	grpclog.SetLoggerV2(grpclog.NewLoggerV2(io.Discard, io.Discard, io.Discard))
}

// Config is what the backend needs to connect.
type Config struct {
	Endpoints []string
	Username  string
	Password  string
	TLS       *tls.Config
	// Timeout bounds connection set-up and every single request.
	Timeout time.Duration
}

// Store is the etcdv3 backend.
type Store struct {
	cli       *clientv3.Client
	endpoints string
	timeout   time.Duration
	tls       *tls.Config
}

var _ datastore.Store = (*Store)(nil)

// New connects to etcd. It does not block: an unreachable server surfaces as an
// UnreachableError from the first request, within Timeout.
func New(cfg Config) (*Store, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:            cfg.Endpoints,
		Username:             cfg.Username,
		Password:             cfg.Password,
		TLS:                  cfg.TLS,
		DialTimeout:          cfg.Timeout,
		DialKeepAliveTime:    30 * time.Second,
		DialKeepAliveTimeout: 10 * time.Second,
		Logger:               zap.NewNop(),
		MaxCallRecvMsgSize:   256 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("connecting to etcd at %s: %w", strings.Join(cfg.Endpoints, ","), err)
	}
	return &Store{cli: cli, endpoints: strings.Join(cfg.Endpoints, ","), timeout: cfg.Timeout, tls: cfg.TLS}, nil
}

// Client exposes the raw etcd client, for benchmarks and migration tooling.
func (s *Store) Client() *clientv3.Client { return s.cli }

func (s *Store) Type() string { return "etcdv3" }

func (s *Store) Close() error { return s.cli.Close() }

// Key returns the etcd key of an object.
func Key(kind *resources.Kind, namespace, name string) string {
	if kind.Storage != nil {
		return kind.Storage.EtcdKey(name)
	}
	if kind.Namespaced {
		return Root + kind.Plural + "/" + namespace + "/" + name
	}
	return Root + kind.Plural + "/" + name
}

// listPrefix returns the key prefix that a list covers.
func listPrefix(kind *resources.Kind, opts datastore.ListOptions) string {
	if kind.Storage != nil {
		if opts.Name != "" && !opts.Prefix {
			return kind.Storage.EtcdKey(opts.Name)
		}
		return kind.Storage.EtcdPrefix(opts.Name)
	}
	p := Root + kind.Plural + "/"
	if kind.Namespaced && opts.Namespace != "" {
		p += opts.Namespace + "/"
	}
	if opts.Name != "" && (!kind.Namespaced || opts.Namespace != "") {
		p += opts.Name
	}
	return p
}

func isPolicy(kind *resources.Kind) bool {
	switch kind.Kind {
	case "NetworkPolicy", "GlobalNetworkPolicy", "StagedNetworkPolicy", "StagedGlobalNetworkPolicy":
		return true
	}
	return false
}

// encode serialises obj as Calico stores it: TypeMeta set, no resourceVersion, no selfLink, and
// for policies the v3 name in the projectcalico.org/metadata annotation. obj is left unchanged.
func encode(kind *resources.Kind, obj resources.Resource) ([]byte, error) {
	if kind.Storage != nil {
		return kind.Storage.EtcdEncode(obj)
	}
	rv, selfLink, annotations := obj.GetResourceVersion(), obj.GetSelfLink(), obj.GetAnnotations()
	defer func() {
		obj.SetResourceVersion(rv)
		obj.SetSelfLink(selfLink)
		obj.SetAnnotations(annotations)
	}()
	obj.SetResourceVersion("")
	obj.SetSelfLink("")
	if isPolicy(kind) {
		a := make(map[string]string, len(annotations)+1)
		for k, v := range annotations {
			a[k] = v
		}
		name, _ := json.Marshal(map[string]string{"name": obj.GetName()})
		a[policyNameAnnotation] = string(name)
		obj.SetAnnotations(a)
	}
	setTypeMeta(kind, obj)
	return json.Marshal(obj)
}

func setTypeMeta(kind *resources.Kind, obj resources.Resource) {
	gvk := obj.GetObjectKind().GroupVersionKind()
	if gvk.Kind == "" || gvk.Group == "" {
		obj.GetObjectKind().SetGroupVersionKind(kind.NewObject().GetObjectKind().GroupVersionKind())
	}
}

// decode reads a stored value. Unknown fields are tolerated: a newer Calico may have written
// them.
func decode(kind *resources.Kind, kv *mvccpb.KeyValue) (resources.Resource, error) {
	obj := kind.NewObject()
	if kind.Storage != nil {
		name, _ := kind.Storage.EtcdName(string(kv.Key))
		obj.SetName(name)
		if err := kind.Storage.EtcdDecode(kv.Value, obj); err != nil {
			return nil, fmt.Errorf("reading %s from etcd: the stored value is not a valid %s: %w", kv.Key, kind.Kind, err)
		}
		obj.SetResourceVersion(strconv.FormatInt(kv.ModRevision, 10))
		return obj, nil
	}
	if err := json.Unmarshal(kv.Value, obj); err != nil {
		return nil, fmt.Errorf("reading %s from etcd: the stored value is not a valid %s: %w", kv.Key, kind.Kind, err)
	}
	setTypeMeta(kind, obj)
	obj.SetResourceVersion(strconv.FormatInt(kv.ModRevision, 10))
	if isPolicy(kind) {
		restorePolicyName(obj)
	}
	return obj, nil
}

func restorePolicyName(obj resources.Resource) {
	a := obj.GetAnnotations()
	if meta, ok := a[policyNameAnnotation]; ok {
		var m struct {
			Name string `json:"name"`
		}
		if json.Unmarshal([]byte(meta), &m) == nil && m.Name != "" {
			obj.SetName(m.Name)
		}
		delete(a, policyNameAnnotation)
		if len(a) == 0 {
			a = nil
		}
		obj.SetAnnotations(a)
		return
	}
	// Calico up to 3.28 stored default-tier policies as "default.<name>".
	if !strings.HasPrefix(obj.GetName(), "default.") {
		return
	}
	if tier := policyTier(obj); tier == "" || tier == "default" {
		obj.SetName(strings.TrimPrefix(obj.GetName(), "default."))
	}
}

func policyTier(obj resources.Resource) string {
	b, err := json.Marshal(obj)
	if err != nil {
		return ""
	}
	var t struct {
		Spec struct {
			Tier string `json:"tier"`
		} `json:"spec"`
	}
	_ = json.Unmarshal(b, &t)
	return t.Spec.Tier
}

func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, has := ctx.Deadline(); has {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, s.timeout)
}

// retryable reports errors after which the same request may be sent again: the cluster lost or
// changed its leader, or the connection dropped. Callers make the retry safe (see Create, Update).
func retryable(err error) bool {
	switch rpctypes.Error(err) {
	case rpctypes.ErrLeaderChanged, rpctypes.ErrNoLeader, rpctypes.ErrTimeout, rpctypes.ErrTimeoutDueToLeaderFail, rpctypes.ErrTimeoutDueToConnectionLost:
		return true
	}
	return status.Code(err) == codes.Unavailable
}

// do runs op, retrying transient failures with a short backoff until the deadline.
func (s *Store) do(ctx context.Context, what, key string, op func(context.Context) error) (err error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if slog.Default().Enabled(ctx, slog.LevelDebug) {
		start := time.Now()
		defer func() {
			slog.Debug("etcd request", "op", what, "key", key, "took", time.Since(start).Round(time.Microsecond), "err", err)
		}()
	}
	var mu sync.Mutex
	var deadReason string
	watchdog := time.AfterFunc(probeAfter, func() {
		if reason, dead := s.probe(); dead {
			mu.Lock()
			deadReason = reason
			mu.Unlock()
			cancel()
		}
	})
	defer watchdog.Stop()
	result := func(err error) error {
		mu.Lock()
		defer mu.Unlock()
		if err != nil && deadReason != "" {
			return &datastore.UnreachableError{Endpoints: s.endpoints, Err: errors.New(deadReason)}
		}
		return s.wrap(ctx, err)
	}
	backoff := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := op(ctx)
		if err == nil || !retryable(err) || attempt == 4 {
			return result(err)
		}
		slog.Info("retrying an etcd request after a transient error", "op", what, "key", key, "err", err)
		select {
		case <-ctx.Done():
			return result(err)
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

func (s *Store) wrap(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	switch rpctypes.Error(err) {
	case rpctypes.ErrPermissionDenied, rpctypes.ErrAuthFailed, rpctypes.ErrInvalidAuthToken, rpctypes.ErrUserEmpty:
		return &datastore.UnauthorizedError{Err: err}
	}
	if status.Code(err) == codes.Unimplemented {
		return &datastore.UnreachableError{Endpoints: s.endpoints, Err: fmt.Errorf("the server is not an etcd v3 server (%v)", status.Convert(err).Message())}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded || status.Code(err) == codes.Unavailable {
		reason, _ := s.probe()
		return &datastore.UnreachableError{Endpoints: s.endpoints, Err: fmt.Errorf("no answer within %s: %s", s.timeout, reason)}
	}
	return err
}

// probe tries a plain connection to every endpoint (and for https the TLS handshake with the
// configured certificates). dead is true when no endpoint accepts one; reason says what failed,
// or what is left to suspect when the connections work.
func (s *Store) probe() (reason string, dead bool) {
	var first string
	for _, ep := range strings.Split(s.endpoints, ",") {
		u, err := url.Parse(ep)
		if err != nil || u.Host == "" {
			continue
		}
		dialer := &net.Dialer{Timeout: time.Second}
		conn, err := dialer.Dial("tcp", u.Host)
		if err != nil {
			if first == "" {
				first = err.Error()
			}
			continue
		}
		conn.Close()
		if u.Scheme != "https" {
			return "the server accepts connections but does not answer as etcd v3; check the endpoint, and whether it wants https", false
		}
		cfg := &tls.Config{}
		if s.tls != nil {
			cfg = s.tls.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		tc, err := tls.DialWithDialer(dialer, "tcp", u.Host, cfg)
		if err != nil {
			if first == "" {
				first = "TLS handshake with " + u.Host + " failed: " + err.Error() + "; check the CA, certificate and key files"
			}
			continue
		}
		tc.Close()
		return "the TLS handshake succeeds but etcd does not answer; check the client certificate, username and password", false
	}
	if first == "" {
		return "check that etcd is running and that the endpoints in your configuration are right", false
	}
	return first, true
}

// probeAfter is how long a request may go unanswered before the endpoints are probed, so that a
// refused connection or a failed TLS handshake ends the command at once rather than at the
// timeout.
const probeAfter = time.Second

func (s *Store) Create(ctx context.Context, obj resources.Resource) (resources.Resource, error) {
	kind, err := resources.KindOf(obj)
	if err != nil {
		return nil, err
	}
	value, err := encode(kind, obj)
	if err != nil {
		return nil, err
	}
	key := Key(kind, obj.GetNamespace(), obj.GetName())
	var resp *clientv3.TxnResponse
	err = s.do(ctx, "create", key, func(ctx context.Context) error {
		var err error
		resp, err = s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.Version(key), "=", 0)).
			Then(clientv3.OpPut(key, string(value))).
			Else(clientv3.OpGet(key)).Commit()
		return err
	})
	if err != nil {
		return nil, err
	}
	if !resp.Succeeded {
		kvs := resp.Responses[0].GetResponseRange().Kvs
		if len(kvs) == 1 && bytes.Equal(kvs[0].Value, value) {
			// An earlier attempt of this same create was applied before its answer was lost.
			return decode(kind, kvs[0])
		}
		e := &datastore.AlreadyExistsError{ID: kind.ID(obj.GetNamespace(), obj.GetName())}
		if len(kvs) == 1 {
			if existing, err := decode(kind, kvs[0]); err == nil {
				e.Existing = existing
			}
		}
		return nil, e
	}
	obj.SetResourceVersion(strconv.FormatInt(resp.Header.Revision, 10))
	return obj, nil
}

func (s *Store) Update(ctx context.Context, obj resources.Resource) (resources.Resource, error) {
	kind, err := resources.KindOf(obj)
	if err != nil {
		return nil, err
	}
	id := kind.ID(obj.GetNamespace(), obj.GetName())
	rev, err := strconv.ParseInt(obj.GetResourceVersion(), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("error with field Metadata.ResourceVersion = '%s' (an update needs the resourceVersion of the stored %s)", obj.GetResourceVersion(), id)
	}
	value, err := encode(kind, obj)
	if err != nil {
		return nil, err
	}
	key := Key(kind, obj.GetNamespace(), obj.GetName())
	var resp *clientv3.TxnResponse
	err = s.do(ctx, "update", key, func(ctx context.Context) error {
		var err error
		resp, err = s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
			Then(clientv3.OpPut(key, string(value))).
			Else(clientv3.OpGet(key)).Commit()
		return err
	})
	if err != nil {
		return nil, err
	}
	if !resp.Succeeded {
		kvs := resp.Responses[0].GetResponseRange().Kvs
		if len(kvs) == 0 {
			return nil, &datastore.DoesNotExistError{ID: id}
		}
		if bytes.Equal(kvs[0].Value, value) && kvs[0].ModRevision > rev {
			return decode(kind, kvs[0]) // our own earlier attempt was applied
		}
		return nil, &datastore.ConflictError{ID: id}
	}
	obj.SetResourceVersion(strconv.FormatInt(resp.Header.Revision, 10))
	return obj, nil
}

func (s *Store) Delete(ctx context.Context, kind *resources.Kind, namespace, name, resourceVersion string) (resources.Resource, error) {
	id := kind.ID(namespace, name)
	key := Key(kind, namespace, name)
	var cmps []clientv3.Cmp
	if resourceVersion != "" {
		rev, err := strconv.ParseInt(resourceVersion, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("error with field Metadata.ResourceVersion = '%s' (not a revision number)", resourceVersion)
		}
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(key), "=", rev))
	}
	var resp *clientv3.TxnResponse
	err := s.do(ctx, "delete", key, func(ctx context.Context) error {
		var err error
		resp, err = s.cli.Txn(ctx).If(cmps...).
			Then(clientv3.OpDelete(key, clientv3.WithPrevKV())).
			Else(clientv3.OpGet(key)).Commit()
		return err
	})
	if err != nil {
		return nil, err
	}
	if !resp.Succeeded {
		if len(resp.Responses[0].GetResponseRange().Kvs) == 0 {
			return nil, &datastore.DoesNotExistError{ID: id}
		}
		return nil, &datastore.ConflictError{ID: id}
	}
	del := resp.Responses[0].GetResponseDeleteRange()
	if del.Deleted == 0 || len(del.PrevKvs) == 0 {
		return nil, &datastore.DoesNotExistError{ID: id}
	}
	return decode(kind, del.PrevKvs[0])
}

func (s *Store) Get(ctx context.Context, kind *resources.Kind, namespace, name string) (resources.Resource, error) {
	key := Key(kind, namespace, name)
	var resp *clientv3.GetResponse
	err := s.do(ctx, "get", key, func(ctx context.Context) error {
		var err error
		resp, err = s.cli.Get(ctx, key)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(resp.Kvs) == 0 {
		return nil, &datastore.DoesNotExistError{ID: kind.ID(namespace, name)}
	}
	return decode(kind, resp.Kvs[0])
}

// List reads every matching key in pages of pageSize, all at the revision of the first page, and
// decodes the values in parallel.
func (s *Store) List(ctx context.Context, kind *resources.Kind, opts datastore.ListOptions) (*datastore.List, error) {
	prefix := listPrefix(kind, opts)
	end := clientv3.GetPrefixRangeEnd(prefix)
	var rev int64
	if opts.Revision != "" {
		r, err := strconv.ParseInt(opts.Revision, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid resourceVersion %q: not a revision number", opts.Revision)
		}
		rev = r
	}
	var kvs []*mvccpb.KeyValue
	from := prefix
	for {
		var resp *clientv3.GetResponse
		err := s.do(ctx, "list", from, func(ctx context.Context) error {
			ops := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(pageSize)}
			if rev != 0 {
				ops = append(ops, clientv3.WithRev(rev))
			}
			var err error
			resp, err = s.cli.Get(ctx, from, ops...)
			return err
		})
		if err != nil {
			return nil, err
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		kvs = append(kvs, resp.Kvs...)
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	items, err := decodeAll(kind, kvs, opts)
	if err != nil {
		return nil, err
	}
	return &datastore.List{Kind: kind, ResourceVersion: strconv.FormatInt(rev, 10), Items: items}, nil
}

// decodeAll decodes values, skipping keys that are not objects of the kind (deeper paths), on
// all cores when there are many.
func decodeAll(kind *resources.Kind, kvs []*mvccpb.KeyValue, opts datastore.ListOptions) ([]resources.Resource, error) {
	segments := 1
	if kind.Namespaced {
		segments = 2
	}
	base := len(Root + kind.Plural + "/")
	keep := kvs[:0:0]
	for _, kv := range kvs {
		if kind.Storage != nil {
			name, ok := kind.Storage.EtcdName(string(kv.Key))
			if ok && (opts.Name == "" || name == opts.Name || (opts.Prefix && strings.HasPrefix(name, opts.Name))) {
				keep = append(keep, kv)
			}
			continue
		}
		rest := string(kv.Key[base:])
		if strings.Count(rest, "/") != segments-1 {
			continue
		}
		if opts.Name != "" && !opts.Prefix && rest[strings.LastIndexByte(rest, '/')+1:] != opts.Name {
			continue
		}
		keep = append(keep, kv)
	}
	items := make([]resources.Resource, len(keep))
	errs := make([]error, len(keep))
	parallel.For(len(keep), 256, func(i int) { items[i], errs[i] = decode(kind, keep[i]) })
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return items, nil
}

func (s *Store) Watch(ctx context.Context, kind *resources.Kind, opts datastore.ListOptions) (<-chan datastore.Event, error) {
	prefix := listPrefix(kind, opts)
	wopts := []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithPrevKV()}
	if opts.Revision != "" {
		rev, err := strconv.ParseInt(opts.Revision, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid resourceVersion %q: not a revision number", opts.Revision)
		}
		wopts = append(wopts, clientv3.WithRev(rev+1))
	}
	wch := s.cli.Watch(clientv3.WithRequireLeader(ctx), prefix, wopts...)
	out := make(chan datastore.Event)
	go func() {
		defer close(out)
		for resp := range wch {
			if err := resp.Err(); err != nil {
				select {
				case out <- datastore.Event{Type: datastore.Error, Err: err}:
				case <-ctx.Done():
				}
				return
			}
			for _, ev := range resp.Events {
				e := datastore.Event{Type: datastore.Modified}
				kv := ev.Kv
				switch {
				case ev.Type == clientv3.EventTypeDelete:
					e.Type, kv = datastore.Deleted, ev.PrevKv
				case ev.IsCreate():
					e.Type = datastore.Added
				}
				if kv == nil {
					continue
				}
				e.Object, e.Err = decode(kind, kv)
				select {
				case out <- e:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
