package api

// KubeControllersConfiguration is the singleton "default" configuring calico-kube-controllers.
type KubeControllersConfiguration struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       KubeControllersConfigurationSpec   `json:"spec,omitempty"`
	Status     KubeControllersConfigurationStatus `json:"status"`
}

// KubeControllersConfigurationSpec is the desired configuration. Controllers has no omitempty:
// Calico always writes it.
type KubeControllersConfigurationSpec struct {
	LogSeverityScreen      string            `json:"logSeverityScreen,omitempty"`
	HealthChecks           string            `json:"healthChecks,omitempty"`
	EtcdV3CompactionPeriod *Duration         `json:"etcdV3CompactionPeriod,omitempty"`
	PrometheusMetricsPort  *int              `json:"prometheusMetricsPort,omitempty"`
	Controllers            ControllersConfig `json:"controllers"`
	DebugProfilePort       *int32            `json:"debugProfilePort,omitempty"`
}

// ControllersConfig enables (non-nil) and configures each controller.
type ControllersConfig struct {
	Node             *NodeControllerConfig             `json:"node,omitempty"`
	Policy           *PolicyControllerConfig           `json:"policy,omitempty"`
	WorkloadEndpoint *WorkloadEndpointControllerConfig `json:"workloadEndpoint,omitempty"`
	ServiceAccount   *ServiceAccountControllerConfig   `json:"serviceAccount,omitempty"`
	Namespace        *NamespaceControllerConfig        `json:"namespace,omitempty"`
	LoadBalancer     *LoadBalancerControllerConfig     `json:"loadBalancer,omitempty"`
	Migration        *MigrationControllerConfig        `json:"migration,omitempty"`
}

// NodeControllerConfig configures node cleanup, label sync, auto host endpoints and IPAM GC.
type NodeControllerConfig struct {
	ReconcilerPeriod *Duration               `json:"reconcilerPeriod,omitempty"`
	SyncLabels       string                  `json:"syncLabels,omitempty"`
	HostEndpoint     *AutoHostEndpointConfig `json:"hostEndpoint,omitempty"`
	LeakGracePeriod  *Duration               `json:"leakGracePeriod,omitempty"`
}

// AutoHostEndpointConfig configures the host endpoints created automatically for nodes.
type AutoHostEndpointConfig struct {
	AutoCreate                string                  `json:"autoCreate,omitempty"`
	CreateDefaultHostEndpoint DefaultHostEndpointMode `json:"createDefaultHostEndpoint,omitempty"`
	Templates                 []Template              `json:"templates,omitempty"`
}

// DefaultHostEndpointMode says whether the default ("*" interface) host endpoint is created.
type DefaultHostEndpointMode string

const (
	DefaultHostEndpointsEnabled  DefaultHostEndpointMode = "Enabled"
	DefaultHostEndpointsDisabled DefaultHostEndpointMode = "Disabled"
)

// Template describes extra host endpoints created for selected nodes' interfaces.
type Template struct {
	GenerateName     string            `json:"generateName,omitempty"`
	InterfaceCIDRs   []string          `json:"interfaceCIDRs,omitempty"`
	InterfacePattern string            `json:"interfacePattern,omitempty"`
	Labels           map[string]string `json:"labels,omitempty"`
	Annotations      map[string]string `json:"annotations,omitempty"`
	NodeSelector     string            `json:"nodeSelector,omitempty"`
}

// PolicyControllerConfig configures the Kubernetes NetworkPolicy sync (etcd datastore only).
type PolicyControllerConfig struct {
	ReconcilerPeriod *Duration `json:"reconcilerPeriod,omitempty"`
}

// WorkloadEndpointControllerConfig configures pod label sync to endpoints (etcd datastore only).
type WorkloadEndpointControllerConfig struct {
	ReconcilerPeriod *Duration `json:"reconcilerPeriod,omitempty"`
}

// ServiceAccountControllerConfig configures service account to profile sync (etcd datastore only).
type ServiceAccountControllerConfig struct {
	ReconcilerPeriod *Duration `json:"reconcilerPeriod,omitempty"`
}

// NamespaceControllerConfig configures namespace to profile sync (etcd datastore only).
type NamespaceControllerConfig struct {
	ReconcilerPeriod *Duration `json:"reconcilerPeriod,omitempty"`
}

// LoadBalancerControllerConfig configures LoadBalancer IP assignment from Calico IPAM.
type LoadBalancerControllerConfig struct {
	AssignIPs AssignIPs `json:"assignIPs,omitempty"`
}

// MigrationControllerConfig configures the one-off data migrations.
type MigrationControllerConfig struct {
	PolicyNameMigrator ControllerMode `json:"policyNameMigrator,omitempty"`
}

// AssignIPs says which LoadBalancer services get an IP from Calico IPAM.
type AssignIPs string

const (
	AllServices           AssignIPs = "AllServices"
	RequestedServicesOnly AssignIPs = "RequestedServicesOnly"
)

// ControllerMode enables or disables a controller.
type ControllerMode string

const (
	ControllerDisabled ControllerMode = "Disabled"
	ControllerEnabled  ControllerMode = "Enabled"
)

// KubeControllersConfigurationStatus is written by kube-controllers: the configuration in effect
// after environment overrides, and the variables that overrode it.
type KubeControllersConfigurationStatus struct {
	RunningConfig   *KubeControllersConfigurationSpec `json:"runningConfig,omitempty"`
	EnvironmentVars map[string]string                 `json:"environmentVars,omitempty"`
}
