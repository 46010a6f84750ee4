package kubernetes_test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
)

func TestPodReadsAnnotationsAndReportsAMissingPod(t *testing.T) {
	ctx := ctxFor(t)
	ensureNamespace(t, "podget", nil)
	want := map[string]string{"cni.projectcalico.org/ipAddrs": `["10.1.2.3"]`}
	_, err := adminCore.CoreV1().Pods("podget").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p1", Annotations: want},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod, err := admin.Pod(ctx, "podget", "p1")
	if err != nil {
		t.Fatal(err)
	}
	if pod.Name != "p1" || pod.Namespace != "podget" || pod.Annotations["cni.projectcalico.org/ipAddrs"] != want["cni.projectcalico.org/ipAddrs"] {
		t.Errorf("read %s/%s with annotations %v, want podget/p1 with %v", pod.Namespace, pod.Name, pod.Annotations, want)
	}
	_, err = admin.Pod(ctx, "podget", "absent")
	if !datastore.IsDoesNotExist(err) {
		t.Fatalf("reading a missing pod: got %v, want a does-not-exist error", err)
	}
	if got, want := err.Error(), "Pod(podget/absent)"; !strings.Contains(got, want) {
		t.Errorf("error %q does not name %s", got, want)
	}
}
