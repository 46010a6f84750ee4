package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
)

// kddBench measures the same commands against a real kube-apiserver (on the benchmark's etcd),
// with calicoctl's default client-side rate limit.
func kddBench(etcdEndpoint, dir string, ctlEnv func(env []string) func(args ...string) (time.Duration, int64, error)) ([]measurement, error) {
	k, err := testenv.StartKubeAPIServer(etcdEndpoint)
	if err != nil {
		return nil, fmt.Errorf("starting kube-apiserver (make kube-apiserver builds it): %w", err)
	}
	defer k.Stop()
	env := append(os.Environ(), "DATASTORE_TYPE=kubernetes", "KUBECONFIG="+k.AdminKubeconfig, "HOME="+dir)
	ctl := ctlEnv(env)
	if _, _, err := ctl("datastore", "install-crds"); err != nil {
		return nil, err
	}
	var rows []measurement
	add := func(what, target string, args ...string) error {
		took, rss, err := ctl(args...)
		if err != nil {
			return err
		}
		rows = append(rows, measurement{what: what, target: target, took: took, maxRSS: rss})
		return nil
	}
	// The first write to a new apiserver pays for setting up its storage; do it before measuring.
	warm := filepath.Join(dir, "warm.yaml")
	os.WriteFile(warm, manifest(1, gnpDoc), 0o644)
	if _, _, err := ctl("apply", "-f", warm); err != nil {
		return nil, err
	}
	if _, _, err := ctl("delete", "-f", warm); err != nil {
		return nil, err
	}
	for _, n := range []int{200, 2000} {
		file := filepath.Join(dir, fmt.Sprintf("kdd-gnp-%d.yaml", n))
		if err := os.WriteFile(file, manifest(n, gnpDoc), 0o644); err != nil {
			return nil, err
		}
		target := ""
		if n == 200 {
			target = "< 3 s"
		}
		steps := []struct {
			what, target string
			args         []string
		}{
			{fmt.Sprintf("create %d GlobalNetworkPolicies", n), target, []string{"create", "-f", file}},
			{fmt.Sprintf("apply %d GlobalNetworkPolicies (all existing)", n), "", []string{"apply", "-f", file}},
			{fmt.Sprintf("get gnp (list %d)", n), "", []string{"get", "gnp"}},
			{fmt.Sprintf("delete %d GlobalNetworkPolicies (-f)", n), "", []string{"delete", "-f", file}},
		}
		for _, s := range steps {
			if err := add(s.what, s.target, s.args...); err != nil {
				return nil, err
			}
		}
	}
	if err := createPods(k.AdminKubeconfig, 5000); err != nil {
		return nil, err
	}
	var times []time.Duration
	var rss int64
	for i := 0; i < *runs; i++ {
		took, r, err := ctl("get", "wep", "-A")
		if err != nil {
			return nil, err
		}
		times, rss = append(times, took), max(rss, r)
	}
	rows = append(rows, measurement{what: "get wep -A (5,000 Pods)", took: median(times), maxRSS: rss})
	return rows, nil
}

// createPods is set-up, not measured: Pods through the core API, as kubelets' owners create them.
func createPods(kubeconfig string, n int) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 5000, 5000
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	work := make(chan int)
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				pod := &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%05d", i), Labels: map[string]string{"app": fmt.Sprintf("app-%d", i%50)}},
					Spec:       corev1.PodSpec{NodeName: fmt.Sprintf("node-%d", i%20), Containers: []corev1.Container{{Name: "c", Image: "registry.example/app"}}},
				}
				if _, err := cs.CoreV1().Pods("bench").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	return firstErr
}
