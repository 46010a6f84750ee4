// Package etcdv3 stores Calico resources in etcd v3 exactly as Calico does: one key per object
// under /calico/resources/v3/projectcalico.org/<plural>/[<namespace>/]<name>, the JSON of the
// full object as the value, and the key's ModRevision as the resourceVersion.
package etcdv3

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
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
	"sync/atomic"
	"syscall"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/grpclog"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/calicoctl-go/calicoctl/internal/parallel"
	"github.com/calicoctl-go/calicoctl/pkg/client/connerr"
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
	// Metadata is sent with every request, e.g. a token for an authenticating proxy in front
	// of etcd.
	Metadata map[string]string
}

// Store is the etcdv3 backend.
type Store struct {
	cli       *clientv3.Client
	endpoints string
	timeout   time.Duration
	tls       *tls.Config
	explain   connerr.Etcd
	// answered is set once etcd has answered a request: from then on a refused connection is a
	// server restarting, worth waiting for within the timeout, not a wrong endpoint.
	answered atomic.Bool
	cancel   context.CancelFunc
}

var _ datastore.Store = (*Store)(nil)

// New connects to etcd. Without credentials it does not block: an unreachable server surfaces
// from the first request. With a user name and password it authenticates at once, so a wrong
// password, a failed TLS handshake or a refused connection is reported here, within a second for
// the last two.
func New(cfg Config) (*Store, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	s := &Store{endpoints: strings.Join(cfg.Endpoints, ","), timeout: cfg.Timeout, tls: cfg.TLS}
	s.explain = connerr.Etcd{Endpoints: s.endpoints, Username: cfg.Username, Timeout: cfg.Timeout}
	if cfg.TLS != nil && len(cfg.TLS.Certificates) > 0 && len(cfg.TLS.Certificates[0].Certificate) > 0 {
		s.explain.ClientCert = true
		if leaf, err := x509.ParseCertificate(cfg.TLS.Certificates[0].Certificate[0]); err == nil {
			s.explain.ClientCertCN = leaf.Subject.CommonName
			s.explain.ClientCertValid = [2]time.Time{leaf.NotBefore, leaf.NotAfter}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	stop, dead := s.watchdog(cancel)
	cli, err := clientv3.New(clientv3.Config{
		Context:              ctx,
		Endpoints:            cfg.Endpoints,
		Username:             cfg.Username,
		Password:             cfg.Password,
		TLS:                  cfg.TLS,
		DialTimeout:          cfg.Timeout,
		DialKeepAliveTime:    30 * time.Second,
		DialKeepAliveTimeout: 10 * time.Second,
		Logger:               zap.NewNop(),
		MaxCallRecvMsgSize:   256 << 20,
		DialOptions:          metadataOptions(cfg.Metadata),
	})
	stop()
	if d := dead(); d != nil {
		if cli != nil {
			cli.Close()
		}
		cancel()
		return nil, d
	}
	if err != nil {
		cancel()
		return nil, s.wrap(ctx, "authenticate", "", err)
	}
	s.cli, s.cancel = cli, cancel
	return s, nil
}

// Client exposes the raw etcd client, for benchmarks and migration tooling.
func (s *Store) Client() *clientv3.Client { return s.cli }

func (s *Store) Type() string { return "etcdv3" }

func (s *Store) Close() error {
	err := s.cli.Close()
	s.cancel()
	return err
}

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

// listEnd returns the end of the key range a list of prefix covers: the end of the prefix, or
// the kind's own end for kinds stored under several prefixes.
func listEnd(kind *resources.Kind, opts datastore.ListOptions, prefix string) string {
	if kind.Storage != nil && kind.Storage.EtcdListEnd != nil && (opts.Name == "" || opts.Prefix) {
		if end := kind.Storage.EtcdListEnd(opts.Name); end != "" {
			return end
		}
	}
	return clientv3.GetPrefixRangeEnd(prefix)
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
		return nil, &datastore.UnreadableError{Where: string(kv.Key) + " from etcd", Kind: kind.Kind, Err: err}
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

// Backoff between retries: doubling from backoffMin, at most backoffMax, until the deadline.
const (
	backoffMin = 50 * time.Millisecond
	backoffMax = time.Second
)

// do runs op, retrying transient failures with backoff until the deadline.
func (s *Store) do(ctx context.Context, what, key string, op func(context.Context) error) (err error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if slog.Default().Enabled(ctx, slog.LevelDebug) {
		start := time.Now()
		defer func() {
			slog.Debug("etcd request", "op", what, "key", key, "took", time.Since(start).Round(time.Microsecond), "err", err)
		}()
	}
	stop, dead := s.watchdog(cancel)
	defer stop()
	result := func(err error) error {
		if err == nil {
			s.answered.Store(true)
			return nil
		}
		if d := dead(); d != nil {
			return d
		}
		return s.wrap(ctx, what, key, err)
	}
	backoff := backoffMin
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return result(err)
		}
		slog.Info("retrying an etcd request", "op", what, "key", key, "attempt", attempt+1, "reason", oneLine(err))
		select {
		case <-ctx.Done():
			return result(err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, backoffMax)
	}
}

func oneLine(err error) string {
	if st, ok := status.FromError(err); ok {
		return st.Message()
	}
	return err.Error()
}

// watchdog probes the endpoints while a request waits for a connection, and cancels the
// request when none can work: a TLS handshake that fails (a configuration problem, reported at
// once), or refused connections before etcd ever answered this client (a wrong endpoint, or etcd
// not running). Once etcd has answered, refused connections are a restart: the request waits for
// it within its timeout. dead returns the explained failure that cancelled the request, if any.
//
// Most requests are answered long before the first probe is due: the watchdog then costs a
// timer, not a goroutine.
func (s *Store) watchdog(cancel context.CancelFunc) (stop func(), dead func() error) {
	var mu sync.Mutex
	var reason error
	done, exited := make(chan struct{}), make(chan struct{})
	cli := s.cli // nil while New connects
	start := time.Now()
	t := time.AfterFunc(probeEvery, func() {
		defer close(exited)
		tick := time.NewTicker(probeEvery)
		defer tick.Stop()
		probed, next := false, probeAfter
		if cli == nil {
			next = probeEvery * 2 // connecting: its handshake is all there is to wait for
		}
		for {
			select {
			case <-done:
				return
			default:
			}
			waited := time.Since(start)
			failing := !probed && cli != nil && cli.ActiveConnection().GetState() == connectivity.TransientFailure
			if waited >= next || failing {
				probed, next = true, waited+probeAfter
				if err, fatal := s.probe(); fatal {
					mu.Lock()
					reason = err
					mu.Unlock()
					cancel()
					return
				}
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(done)
			if !t.Stop() {
				<-exited // it started: no cancel after stop returns
			}
		})
	}
	return stop, func() error {
		mu.Lock()
		defer mu.Unlock()
		return reason
	}
}

func (s *Store) wrap(ctx context.Context, what, key string, err error) error {
	if err == nil {
		return nil
	}
	switch rpctypes.Error(err) {
	case rpctypes.ErrPermissionDenied, rpctypes.ErrAuthFailed, rpctypes.ErrInvalidAuthToken, rpctypes.ErrUserEmpty, rpctypes.ErrAuthNotEnabled:
		return s.explain.Unauthorized(key, rpctypes.Error(err))
	}
	if c := status.Code(err); c == codes.Unauthenticated || c == codes.PermissionDenied {
		// An authenticating proxy in front of etcd (DC/OS) refused the request's token.
		return &datastore.UnauthorizedError{Err: err}
	}
	if status.Code(err) == codes.Unimplemented {
		return &datastore.UnreachableError{Datastore: "etcd", Endpoints: s.endpoints, Err: fmt.Errorf("the server is not an etcd v3 server (%v)", status.Convert(err).Message()), Fix: "check ETCD_ENDPOINTS (etcdEndpoints)"}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded || status.Code(err) == codes.Unavailable {
		if perr, _ := s.probe(); perr != nil {
			return perr
		}
		return &datastore.UnreachableError{Datastore: "etcd", Endpoints: s.endpoints,
			Err: fmt.Errorf("no answer within %s, although the server accepts connections", s.timeout),
			Fix: "check that ETCD_ENDPOINTS (etcdEndpoints) names etcd's client port, with https:// if etcd wants TLS"}
	}
	return err
}

// probe tries a connection to every endpoint (and for https the TLS handshake with the
// configured certificates, and a read, which is when a server refusing the client certificate
// says so under TLS 1.3). It returns the explained failure of the first endpoint when none
// works, nil when one does; fatal says the request cannot succeed within its timeout.
func (s *Store) probe() (err error, fatal bool) {
	var first error
	tlsFailed := false
	for _, ep := range strings.Split(s.endpoints, ",") {
		u, perr := url.Parse(ep)
		if perr != nil || u.Host == "" {
			continue
		}
		dialer := &net.Dialer{Timeout: time.Second}
		conn, derr := dialer.Dial("tcp", u.Host)
		if derr != nil {
			if first == nil {
				first = s.explain.Connection(ep, derr)
			}
			continue
		}
		if u.Scheme != "https" {
			wantsTLS := answersAsHTTPS(conn)
			conn.Close()
			if !wantsTLS {
				return nil, false
			}
			if first == nil || !tlsFailed {
				first, tlsFailed = &datastore.UnreachableError{Datastore: "etcd", Endpoints: ep,
					Err: errors.New("the server wants TLS (it refused a plain HTTP/2 request as a TLS server does)"),
					Fix: "use https:// instead of http:// in ETCD_ENDPOINTS (etcdEndpoints), with ETCD_CA_CERT_FILE (etcdCACertFile)"}, true
			}
			continue
		}
		conn.Close()
		cfg := &tls.Config{}
		if s.tls != nil {
			cfg = s.tls.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		cfg.NextProtos = []string{"h2"}
		terr := func() error {
			tc, err := tls.DialWithDialer(dialer, "tcp", u.Host, cfg)
			if err != nil {
				return err
			}
			defer tc.Close()
			// An HTTP/2 server waits for the client's preface: a read that times out means the
			// server accepted the certificate.
			tc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			if _, err := tc.Read(make([]byte, 1)); err != nil {
				var nerr net.Error
				if errors.As(err, &nerr) && nerr.Timeout() {
					return nil
				}
				if p, _ := connerr.TLSProblem(err); p != connerr.Unknown {
					return err
				}
			}
			return nil
		}()
		if terr == nil {
			return nil, false
		}
		if p, _ := connerr.TLSProblem(terr); p == connerr.Unknown {
			continue // a slow or silent server: the request's timeout decides
		}
		if first == nil || !tlsFailed {
			if e := s.explain.Connection(ep, terr); e != nil {
				first, tlsFailed = e, true
			} else if first == nil {
				first = &datastore.UnreachableError{Datastore: "etcd", Endpoints: ep, Err: fmt.Errorf("the TLS handshake failed (%v)", terr), Fix: "check ETCD_CA_CERT_FILE, ETCD_CERT_FILE and ETCD_KEY_FILE (etcdCACertFile, etcdCertFile, etcdKeyFile)"}
				tlsFailed = true
			}
		}
	}
	if first == nil {
		return nil, false
	}
	return first, tlsFailed || !s.answered.Load()
}

// answersAsHTTPS sends the HTTP/2 preface an etcd client starts with, and reports whether the
// server answered as an HTTPS server does to plain HTTP.
func answersAsHTTPS(conn net.Conn) bool {
	conn.SetDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := conn.Write([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 128)
	n, err := io.ReadAtLeast(conn, buf, 12)
	if n == 0 && (errors.Is(err, io.EOF) || utilnetReset(err)) {
		return true // closed at once: a TLS server that got no TLS handshake
	}
	return bytes.HasPrefix(buf[:n], []byte("HTTP/1.")) && bytes.Contains(buf[:n], []byte(" 400 "))
}

func utilnetReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

// A request that has waited probeAfter, or whose connection is failing, probes the endpoints
// every probeEvery, so that a refused connection or a failed TLS handshake ends the command at
// once rather than at the timeout.
const (
	probeEvery = 100 * time.Millisecond
	probeAfter = time.Second
)

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

// WriteAll writes objs in one transaction: a create-if-absent for each object without a
// resourceVersion, a compare-and-swap on the revision for the others. When the transaction's
// answer is lost and a retry finds every value as this call wrote it, the earlier attempt is
// taken as applied.
func (s *Store) WriteAll(ctx context.Context, objs []resources.Resource, unchanged ...datastore.Unchanged) ([]resources.Resource, error) {
	if len(objs) == 0 {
		return nil, nil
	}
	type write struct {
		kind  *resources.Kind
		key   string
		value []byte
		rev   int64 // 0: create
	}
	// The request is built from etcd's own messages: clientv3's Compare copies each condition
	// through protobuf reflection, whose tables a short-lived process (the CNI plugin) would
	// build for this one call.
	writes := make([]write, len(objs))
	req := &pb.TxnRequest{
		Compare: make([]*pb.Compare, 0, len(objs)+2*len(unchanged)),
		Success: make([]*pb.RequestOp, len(objs)),
		Failure: make([]*pb.RequestOp, len(objs)),
	}
	for i, obj := range objs {
		kind, err := resources.KindOf(obj)
		if err != nil {
			return nil, err
		}
		w := write{kind: kind, key: Key(kind, obj.GetNamespace(), obj.GetName())}
		if rv := obj.GetResourceVersion(); rv != "" {
			if w.rev, err = strconv.ParseInt(rv, 10, 64); err != nil || w.rev <= 0 {
				return nil, fmt.Errorf("error with field Metadata.ResourceVersion = '%s' (an update needs the resourceVersion of the stored %s)", rv, kind.ID(obj.GetNamespace(), obj.GetName()))
			}
			req.Compare = append(req.Compare, &pb.Compare{Key: []byte(w.key), Target: pb.Compare_MOD, Result: pb.Compare_EQUAL, TargetUnion: &pb.Compare_ModRevision{ModRevision: w.rev}})
		} else {
			req.Compare = append(req.Compare, &pb.Compare{Key: []byte(w.key), Target: pb.Compare_VERSION, Result: pb.Compare_EQUAL, TargetUnion: &pb.Compare_Version{Version: 0}})
		}
		if w.value, err = encode(kind, obj); err != nil {
			return nil, err
		}
		req.Success[i] = &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte(w.key), Value: w.value}}}
		req.Failure[i] = &pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: []byte(w.key)}}}
		writes[i] = w
	}
	for _, u := range unchanged {
		since, err := strconv.ParseInt(u.Since, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid resourceVersion %q: not a revision number", u.Since)
		}
		key := listPrefix(u.Request.Kind, u.Request.Options)
		cmp := &pb.Compare{Key: []byte(key), Target: pb.Compare_MOD, Result: pb.Compare_LESS, TargetUnion: &pb.Compare_ModRevision{ModRevision: since + 1}}
		if single := u.Request.Options.Name != "" && !u.Request.Options.Prefix; !single {
			cmp.RangeEnd = []byte(listEnd(u.Request.Kind, u.Request.Options, key))
		} else if u.Exists {
			req.Compare = append(req.Compare, &pb.Compare{Key: []byte(key), Target: pb.Compare_VERSION, Result: pb.Compare_GREATER, TargetUnion: &pb.Compare_Version{Version: 0}})
		}
		req.Compare = append(req.Compare, cmp)
	}
	var resp *pb.TxnResponse
	err := s.do(ctx, "write", writes[0].key, func(ctx context.Context) error {
		var err error
		resp, err = pb.NewKVClient(s.cli.ActiveConnection()).Txn(ctx, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	if resp.Succeeded {
		rv := strconv.FormatInt(resp.Header.Revision, 10)
		for _, obj := range objs {
			obj.SetResourceVersion(rv)
		}
		return objs, nil
	}
	// Which condition failed? And was it our own earlier attempt, applied before its answer was
	// lost (every value as written here, all at one newer revision)?
	var failed *datastore.WriteAllError
	applied, at := true, int64(0)
	stored := make([]*mvccpb.KeyValue, len(writes))
	for i, w := range writes {
		kvs := resp.Responses[i].GetResponseRange().Kvs
		if len(kvs) == 1 {
			stored[i] = kvs[0]
		}
		kv := stored[i]
		if kv == nil || !bytes.Equal(kv.Value, w.value) || kv.ModRevision <= w.rev || (at != 0 && kv.ModRevision != at) {
			applied = false
		} else {
			at = kv.ModRevision
		}
		if failed != nil {
			continue
		}
		id := w.kind.ID(objs[i].GetNamespace(), objs[i].GetName())
		switch {
		case w.rev == 0 && kv != nil:
			e := &datastore.AlreadyExistsError{ID: id}
			if existing, err := decode(w.kind, kv); err == nil {
				e.Existing = existing
			}
			failed = &datastore.WriteAllError{Index: i, Err: e}
		case w.rev != 0 && kv == nil:
			failed = &datastore.WriteAllError{Index: i, Err: &datastore.DoesNotExistError{ID: id}}
		case w.rev != 0 && kv.ModRevision != w.rev:
			failed = &datastore.WriteAllError{Index: i, Err: &datastore.ConflictError{ID: id}}
		}
	}
	if applied {
		out := make([]resources.Resource, len(writes))
		for i, w := range writes {
			if out[i], err = decode(w.kind, stored[i]); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if failed == nil {
		// Every object's condition held (the reads ran at the revision that failed), so an
		// Unchanged condition failed.
		what := "the objects the write was based on"
		if len(unchanged) > 0 {
			what = unchanged[0].Request.Kind.Kind + " and the other lists the write was based on"
		}
		failed = &datastore.WriteAllError{Index: len(objs), Err: &datastore.ConflictError{ID: what}}
	}
	return nil, failed
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
	obj, err := decode(kind, del.PrevKvs[0])
	if err != nil {
		// The value could not be read (written corrupt, or by something else); it is deleted all
		// the same, which is how an operator gets rid of it.
		obj = kind.NewObject()
		obj.SetName(name)
		obj.SetNamespace(namespace)
	}
	return obj, nil
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
	end := listEnd(kind, opts, prefix)
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
	items, skipped := decodeAll(kind, kvs, opts)
	return &datastore.List{Kind: kind, ResourceVersion: strconv.FormatInt(rev, 10), Items: items, Skipped: skipped}, nil
}

// ListMany reads the lists in one read-only transaction: one round trip, one revision, and as
// linearizable as List. A request for one name of a kind (Name without Prefix) reads that key
// alone.
func (s *Store) ListMany(ctx context.Context, reqs []datastore.ListRequest) ([]*datastore.List, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	ops := make([]clientv3.Op, len(reqs))
	for i, r := range reqs {
		key := listPrefix(r.Kind, r.Options)
		var opts []clientv3.OpOption
		if r.Options.Name == "" || r.Options.Prefix || (r.Kind.Namespaced && r.Options.Namespace == "") {
			opts = append(opts, clientv3.WithRange(listEnd(r.Kind, r.Options, key)))
		}
		if r.Options.Revision != "" {
			rev, err := strconv.ParseInt(r.Options.Revision, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("invalid resourceVersion %q: not a revision number", r.Options.Revision)
			}
			opts = append(opts, clientv3.WithRev(rev))
		}
		ops[i] = clientv3.OpGet(key, opts...)
	}
	var resp *clientv3.TxnResponse
	err := s.do(ctx, "list", listPrefix(reqs[0].Kind, reqs[0].Options), func(ctx context.Context) error {
		var err error
		resp, err = s.cli.Txn(ctx).Then(ops...).Commit()
		return err
	})
	if err != nil {
		return nil, err
	}
	rev := strconv.FormatInt(resp.Header.Revision, 10)
	out := make([]*datastore.List, len(reqs))
	for i, r := range reqs {
		items, skipped := decodeAll(r.Kind, resp.Responses[i].GetResponseRange().Kvs, r.Options)
		out[i] = &datastore.List{Kind: r.Kind, ResourceVersion: rev, Items: items, Skipped: skipped}
	}
	return out, nil
}

// decodeAll decodes values, skipping keys that are not objects of the kind (deeper paths), on
// all cores when there are many. A value that does not decode is left out and reported, so that
// one corrupt key does not hide the rest.
func decodeAll(kind *resources.Kind, kvs []*mvccpb.KeyValue, opts datastore.ListOptions) (items []resources.Resource, skipped []error) {
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
	decoded := make([]resources.Resource, len(keep))
	errs := make([]error, len(keep))
	parallel.For(len(keep), 256, func(i int) { decoded[i], errs[i] = decode(kind, keep[i]) })
	items = decoded[:0]
	for i, err := range errs {
		if err != nil {
			skipped = append(skipped, err)
			continue
		}
		items = append(items, decoded[i])
	}
	return items, skipped
}

func (s *Store) Watch(ctx context.Context, kind *resources.Kind, opts datastore.ListOptions) (<-chan datastore.Event, error) {
	prefix := listPrefix(kind, opts)
	wopts := []clientv3.OpOption{clientv3.WithRange(listEnd(kind, opts, prefix)), clientv3.WithPrevKV()}
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

// metadataOptions add md to the outgoing metadata of every call and stream.
func metadataOptions(md map[string]string) []grpc.DialOption {
	if len(md) == 0 {
		return nil
	}
	var pairs []string
	for k, v := range md {
		pairs = append(pairs, k, v)
	}
	with := func(ctx context.Context) context.Context { return metadata.AppendToOutgoingContext(ctx, pairs...) }
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return invoker(with(ctx), method, req, reply, cc, opts...)
		}),
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			return streamer(with(ctx), desc, cc, method, opts...)
		}),
	}
}
