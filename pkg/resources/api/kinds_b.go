package api

// Kind names of the cluster-configuration, BGP and IPAM kinds, and of their lists.
const (
	KindBGPConfiguration                 = "BGPConfiguration"
	KindBGPConfigurationList             = "BGPConfigurationList"
	KindBGPFilter                        = "BGPFilter"
	KindBGPFilterList                    = "BGPFilterList"
	KindBGPPeer                          = "BGPPeer"
	KindBGPPeerList                      = "BGPPeerList"
	KindCalicoNodeStatus                 = "CalicoNodeStatus"
	KindCalicoNodeStatusList             = "CalicoNodeStatusList"
	KindClusterInformation               = "ClusterInformation"
	KindClusterInformationList           = "ClusterInformationList"
	KindFelixConfiguration               = "FelixConfiguration"
	KindFelixConfigurationList           = "FelixConfigurationList"
	KindIPAMConfiguration                = "IPAMConfiguration"
	KindIPAMConfigurationList            = "IPAMConfigurationList"
	KindIPPool                           = "IPPool"
	KindIPPoolList                       = "IPPoolList"
	KindIPReservation                    = "IPReservation"
	KindIPReservationList                = "IPReservationList"
	KindKubeControllersConfiguration     = "KubeControllersConfiguration"
	KindKubeControllersConfigurationList = "KubeControllersConfigurationList"
	KindNode                             = "Node"
	KindNodeList                         = "NodeList"
)
