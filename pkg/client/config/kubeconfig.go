package config

import "sync"

var (
	kubeconfigFlagMu sync.Mutex
	kubeconfigFlag   string
)

// SetKubeconfigFlag records the --kubeconfig flag: every configuration loaded afterwards (from a
// file or from the environment) uses path as its kubeconfig, over KUBECONFIG, the file's
// kubeconfig and kubeconfigInline, as kubectl's --kubeconfig wins over $KUBECONFIG. "" removes
// the override.
func SetKubeconfigFlag(path string) {
	kubeconfigFlagMu.Lock()
	defer kubeconfigFlagMu.Unlock()
	kubeconfigFlag = path
}

// applyKubeconfigFlag puts the --kubeconfig flag, if given, into s.
func applyKubeconfigFlag(s *CalicoAPIConfigSpec) {
	kubeconfigFlagMu.Lock()
	path := kubeconfigFlag
	kubeconfigFlagMu.Unlock()
	if path == "" {
		return
	}
	s.Kubeconfig = path
	s.KubeconfigInline = ""
}
