package kubernetes

import (
	"context"
	"net/http"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"
)

// The store reads Nodes, Pods, Namespaces and ServiceAccounts with this small client rather than
// client-go's typed clientset: that clientset's scheme package registers every Kubernetes API
// group when the process starts, which every calicoctl command would pay for (a few
// milliseconds), even those that never talk to Kubernetes.

// coreScheme knows the core v1 types and the metav1 options, lists and Status, as client-go's
// scheme does for them; it is built on first use, not at process start.
var coreScheme = sync.OnceValue(func() *runtime.Scheme {
	s := runtime.NewScheme()
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	utilruntime.Must(corev1.AddToScheme(s))
	return s
})

// coreCodecs are the codecs of coreScheme, without conversion (what client-go's scheme.Codecs
// gives the custom resources client).
var coreCodecs = sync.OnceValue(func() runtime.NegotiatedSerializer {
	return serializer.NewCodecFactory(coreScheme()).WithoutConversion()
})

// coreClient sends the requests of client-go's typed core/v1 client: same paths, parameters,
// content types (protobuf preferred, JSON accepted) and error decoding.
type coreClient struct {
	rest   *rest.RESTClient // /api/v1
	params runtime.ParameterCodec
}

// newCoreClient is client-go's corev1 client for a configuration, on the store's HTTP client,
// with the configuration's rate limiter (or one of its own made from QPS and Burst).
func newCoreClient(rc *rest.Config, httpClient *http.Client) (*coreClient, error) {
	scheme := coreScheme()
	cfg := rest.CopyConfig(rc)
	gv := corev1.SchemeGroupVersion
	cfg.GroupVersion = &gv
	cfg.APIPath = "/api"
	cfg.NegotiatedSerializer = rest.CodecFactoryForGeneratedClient(scheme, serializer.NewCodecFactory(scheme)).WithoutConversion()
	if cfg.UserAgent == "" {
		cfg.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	c, err := rest.RESTClientForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	return &coreClient{rest: c, params: runtime.NewParameterCodec(scheme)}, nil
}

// get reads the object name of a resource ("nodes", "pods", ...) into into; namespace is "" for
// cluster-scoped resources.
func (c *coreClient) get(ctx context.Context, resource, namespace, name string, into runtime.Object) error {
	return c.rest.Get().MaxRetries(0).
		UseProtobufAsDefault().
		NamespaceIfScoped(namespace, namespace != "").
		Resource(resource).
		Name(name).
		VersionedParams(&metav1.GetOptions{}, c.params).
		Do(ctx).
		Into(into)
}

// list reads one page of a collection into into (a *corev1.XList); namespace "" lists all
// namespaces.
func (c *coreClient) list(ctx context.Context, resource, namespace string, opts metav1.ListOptions, into runtime.Object) error {
	var timeout time.Duration
	if opts.TimeoutSeconds != nil {
		timeout = time.Duration(*opts.TimeoutSeconds) * time.Second
	}
	return c.rest.Get().MaxRetries(0).
		UseProtobufAsDefault().
		NamespaceIfScoped(namespace, namespace != "").
		Resource(resource).
		VersionedParams(&opts, c.params).
		Timeout(timeout).
		Do(ctx).
		Into(into)
}

// updateNodeStatus writes a Node through its status subresource, which also keeps its metadata
// (as client-go's Nodes().UpdateStatus), and reads the result into into.
func (c *coreClient) updateNodeStatus(ctx context.Context, node *corev1.Node, into *corev1.Node) error {
	return c.rest.Put().MaxRetries(0).
		UseProtobufAsDefault().
		Resource("nodes").
		Name(node.Name).
		SubResource("status").
		VersionedParams(&metav1.UpdateOptions{}, c.params).
		Body(node).
		Do(ctx).
		Into(into)
}

// Pod reads a Kubernetes pod, with the store's timeout and retries; a missing pod is a
// datastore.DoesNotExistError. The CNI plugin reads its IPAM annotations this way, without
// linking client-go's typed clientset.
func (s *Store) Pod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	var pod *corev1.Pod
	err := s.do(ctx, retryLostAnswer, "Pod("+namespace+"/"+name+")", "", func(ctx context.Context) error {
		pod = &corev1.Pod{}
		return s.core.get(ctx, "pods", namespace, name, pod)
	})
	if err != nil {
		return nil, err
	}
	return pod, nil
}
