package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/config"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
	"github.com/calicoctl-go/calicoctl/pkg/ipam"
	"github.com/calicoctl-go/calicoctl/pkg/manifest"
	"github.com/calicoctl-go/calicoctl/pkg/printer"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// kubernetesStore returns the Kubernetes backend of a client, or says that the configuration
// selects another datastore.
func kubernetesStore(c *client.Client, what string) (*kubernetes.Store, error) {
	s, ok := c.Store().(*kubernetes.Store)
	if !ok {
		return nil, fmt.Errorf("%s needs the Kubernetes datastore, but the configuration selects %s: set DATASTORE_TYPE=kubernetes (or datastoreType: kubernetes in the config file)", what, c.Store().Type())
	}
	return s, nil
}

// InstallCRDsOptions are the options of datastore install-crds.
type InstallCRDsOptions struct {
	Config string
}

func newCmdInstallCRDs(f *Factory, runF func(*InstallCRDsOptions) error) *cobra.Command {
	opts := &InstallCRDsOptions{}
	cmd := &cobra.Command{
		Use:   "install-crds",
		Short: "Install or update the Calico CRDs in a Kubernetes cluster",
		Long: `Create the CustomResourceDefinitions the Kubernetes datastore stores Calico resources in (group
crd.projectcalico.org, version v1), or update them to the definitions built into this calicoctl, and
wait until the API server serves them. Running it again changes nothing. It needs the right to
create and update CustomResourceDefinitions (cluster-admin).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runInstallCRDs(f, opts)
		},
	}
	addConfigFlag(cmd, &opts.Config)
	return cmd
}

func runInstallCRDs(f *Factory, opts *InstallCRDsOptions) error {
	c, err := f.Client(opts.Config, false)
	if err != nil {
		return err
	}
	defer c.Close()
	s, err := kubernetesStore(c, "datastore install-crds")
	if err != nil {
		return err
	}
	counts := map[kubernetes.CRDOutcome]int{}
	err = s.InstallCRDs(f.ctx(), func(name string, outcome kubernetes.CRDOutcome) {
		counts[outcome]++
		fmt.Fprintf(f.Out, "customresourcedefinition.apiextensions.k8s.io/%s %s\n", name, outcome)
	})
	if err != nil {
		return err
	}
	total := counts[kubernetes.CRDCreated] + counts[kubernetes.CRDUpdated] + counts[kubernetes.CRDUnchanged]
	fmt.Fprintf(f.Out, "Calico CRDs installed: %d (%d created, %d updated, %d unchanged), all established.\n",
		total, counts[kubernetes.CRDCreated], counts[kubernetes.CRDUpdated], counts[kubernetes.CRDUnchanged])
	return nil
}

// migrationKinds are the kinds a migration carries, in Calico's order: tiers before the
// policies in them, nodes before the per-node configurations that are renamed with them.
var migrationKinds = []string{
	"IPPool", "BGPPeer", "Tier", "GlobalNetworkPolicy", "StagedGlobalNetworkPolicy", "GlobalNetworkSet",
	"HostEndpoint", "KubeControllersConfiguration", "NetworkPolicy", "StagedNetworkPolicy",
	"StagedKubernetesNetworkPolicy", "NetworkSet", "Node", "BGPConfiguration", "FelixConfiguration",
	"IPReservation", "BGPFilter",
}

// kubernetesPolicyPrefix names the Calico copies of Kubernetes NetworkPolicies that
// kube-controllers wrote in etcd mode; in the Kubernetes datastore they come from the originals.
const kubernetesPolicyPrefix = "knp.default."

const (
	migrationSeparator = "===\n"
	migrationDone      = "Datastore information successfully imported. Please refer to the datastore migration documentation for next steps."
	notLockedMessage   = "datastore is not locked. Run the `calicoctl datastore migrate lock` command in order to begin migration"
)

// locked reports whether ClusterInformation default says datastoreReady=false.
func locked(ctx context.Context, c *client.Client) (bool, error) {
	kind, _ := resources.ByKind("ClusterInformation")
	obj, err := c.Get(ctx, kind, "", "default")
	if datastore.IsDoesNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("error while checking if datastore was locked: %w", err)
	}
	ready := obj.(*api.ClusterInformation).Spec.DatastoreReady
	return ready != nil && !*ready, nil
}

// MigrateExportOptions are the options of datastore migrate export.
type MigrateExportOptions struct {
	Config string
}

func newCmdMigrateExport(f *Factory) *cobra.Command {
	opts := &MigrateExportOptions{}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the contents of a locked etcdv3 datastore, for import into Kubernetes",
		Long: `Export the Calico resources of an etcdv3 datastore to stdout, for 'calicoctl datastore migrate import'
into the Kubernetes datastore. The datastore must first be locked ('calicoctl datastore migrate lock')
so that nothing changes meanwhile. Nodes are renamed to their Kubernetes node names, and per-node
FelixConfigurations and BGPConfigurations with them. WorkloadEndpoints and Profiles are not exported:
the Kubernetes datastore derives them from pods, namespaces and service accounts.

Format: YAML lists of resources separated by ---, then ===, the ClusterInformation as JSON, ===, and the
IPAM data as JSON: every block, block affinity and handle and the IPAM configuration, with node
names changed like the Nodes'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runMigrateExport(f, opts) },
	}
	addConfigFlag(cmd, &opts.Config)
	return cmd
}

func runMigrateExport(f *Factory, opts *MigrateExportOptions) error {
	c, err := f.Client(opts.Config, true)
	if err != nil {
		return err
	}
	defer c.Close()
	if t := c.Store().Type(); t != config.EtcdV3 {
		return fmt.Errorf("invalid datastore type: %s to export from for datastore migration. Datastore type must be etcdv3", t)
	}
	ctx := f.ctx()
	if ok, err := locked(ctx, c); err != nil {
		return err
	} else if !ok {
		return errors.New(notLockedMessage)
	}
	yamlPrinter, err := printer.New("yaml", printer.Options{})
	if err != nil {
		return err
	}
	var out bytes.Buffer // nothing is printed unless the whole export succeeds
	nodeNames := map[string]string{}
	for _, name := range migrationKinds {
		kind, _ := resources.ByKind(name)
		list, err := c.List(ctx, kind, datastore.ListOptions{})
		if err != nil {
			return fmt.Errorf("exporting %s resources: %w", kind.Kind, err)
		}
		warnSkipped(f, list)
		items := make([]resources.Resource, 0, len(list.Items))
		for _, obj := range list.Items {
			if kind.Kind == "NetworkPolicy" && strings.HasPrefix(obj.GetName(), kubernetesPolicyPrefix) {
				continue
			}
			obj.SetUID("")
			obj.SetResourceVersion("")
			obj.SetCreationTimestamp(metav1.Time{})
			obj.SetDeletionTimestamp(nil)
			obj.SetDeletionGracePeriodSeconds(nil)
			if err := renameForKubernetes(obj, nodeNames); err != nil {
				return err
			}
			items = append(items, obj)
		}
		if kind.Sort != nil {
			kind.Sort(items)
		}
		if err := yamlPrinter.Print(&out, []printer.Result{{Kind: kind, Items: items, List: true, ResourceVersion: list.ResourceVersion}}); err != nil {
			return err
		}
		out.WriteString("---\n")
	}
	out.WriteString(migrationSeparator)
	kind, _ := resources.ByKind("ClusterInformation")
	ci, err := c.Get(ctx, kind, "", "default")
	if err != nil {
		return err
	}
	js, err := json.MarshalIndent(ci, "", "  ")
	if err != nil {
		return err
	}
	out.Write(js)
	out.WriteString("\n" + migrationSeparator)
	ipamData, err := ipam.ExportAll(ctx, c.Store(), func(node string) string {
		if k8sName, ok := nodeNames[node]; ok {
			return k8sName
		}
		return node
	})
	if err != nil {
		return fmt.Errorf("exporting IPAM data: %w", err)
	}
	js, err = json.MarshalIndent(ipamData, "", "  ")
	if err != nil {
		return err
	}
	out.Write(js)
	out.WriteString("\n")
	_, err = f.Out.Write(out.Bytes())
	return err
}

// renameForKubernetes gives a Node its Kubernetes node name (from its k8s orchestrator
// reference), remembering the mapping, and renames node.<name> configurations to match.
func renameForKubernetes(obj resources.Resource, nodeNames map[string]string) error {
	switch o := obj.(type) {
	case *api.Node:
		k8sName := ""
		for _, ref := range o.Spec.OrchRefs {
			if ref.Orchestrator == "k8s" {
				k8sName = ref.NodeName
			}
		}
		if k8sName == "" {
			return fmt.Errorf("node %s missing a 'k8s' orchestrator reference. Unable to export data unless every node has a 'k8s' orchestrator reference", o.Name)
		}
		nodeNames[o.Name] = k8sName
		o.Name = k8sName
	case *api.FelixConfiguration, *api.BGPConfiguration:
		if etcdName, ok := strings.CutPrefix(obj.GetName(), "node."); ok {
			if k8sName, ok := nodeNames[etcdName]; ok {
				obj.SetName("node." + k8sName)
			}
		}
	}
	return nil
}

// MigrateImportOptions are the options of datastore migrate import.
type MigrateImportOptions struct {
	Config   string
	Filename string
}

func newCmdMigrateImport(f *Factory) *cobra.Command {
	opts := &MigrateImportOptions{}
	cmd := &cobra.Command{
		Use:   "import -f FILE",
		Short: "Import the output of 'migrate export' into the Kubernetes datastore",
		Long: `Import a file written by 'calicoctl datastore migrate export' into the Kubernetes datastore: install
the Calico CRDs, check that the cluster holds no Calico resources yet, lock the datastore, apply the
resources and take over the ClusterInformation's cluster GUID and Calico version. The datastore
stays locked: unlock it ('calicoctl datastore migrate unlock') once the migration is complete.
Nodes whose Kubernetes node does not exist are skipped with a warning.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runMigrateImport(f, opts) },
	}
	addConfigFlag(cmd, &opts.Config)
	cmd.Flags().StringVarP(&opts.Filename, "filename", "f", "", "the file written by 'migrate export' (- for stdin)")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

// migrationFile is an export split into its three parts.
type migrationFile struct {
	resources   []resources.Resource
	clusterInfo *api.ClusterInformation
	ipam        *ipam.Export
}

func readMigrationFile(f *Factory, name string) (*migrationFile, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(f.stdin())
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("Error while reading migration file: %w", err)
	}
	parts := bytes.Split(data, []byte(migrationSeparator))
	if len(parts) != 3 {
		return nil, fmt.Errorf("Imported file: %s is improperly formatted. Try recreating with 'calicoctl datastore migrate export'", name)
	}
	m := &migrationFile{clusterInfo: &api.ClusterInformation{}}
	if strings.TrimSpace(string(parts[0])) != "" {
		if m.resources, err = manifest.Decode(parts[0], name); err != nil {
			return nil, fmt.Errorf("Error while reading migration file: %w", err)
		}
	}
	if err := json.Unmarshal(parts[1], m.clusterInfo); err != nil {
		return nil, fmt.Errorf("Error reading exported cluster info for migration: %w", err)
	}
	m.ipam = &ipam.Export{}
	if err := json.Unmarshal(parts[2], m.ipam); err != nil {
		return nil, fmt.Errorf("Failed to read IPAM resources: %w", err)
	}
	return m, nil
}

func runMigrateImport(f *Factory, opts *MigrateImportOptions) error {
	// Like Calico's, no version check: the cluster may not hold Calico's CRDs yet. The datastore
	// type is checked before the file is read, as Calico does.
	c, err := f.Client(opts.Config, false)
	if err != nil {
		return err
	}
	defer c.Close()
	if t := c.Store().Type(); t != config.Kubernetes {
		return fmt.Errorf("invalid datastore type: %s to import to for datastore migration. Datastore type must be kubernetes", t)
	}
	file, err := readMigrationFile(f, opts.Filename)
	if err != nil {
		return err
	}
	s, err := kubernetesStore(c, "datastore migrate import")
	if err != nil {
		return err
	}
	ctx := f.ctx()
	if err := s.InstallCRDs(ctx, nil); err != nil {
		return fmt.Errorf("Error applying the CRDs necessary to begin datastore import: %w", err)
	}
	if err := checkNoCalicoResources(ctx, c); err != nil {
		return fmt.Errorf("datastore already has Calico resources: %w. Clear out all Calico resources by deleting all Calico CRDs", err)
	}
	if err := c.EnsureInitialized(ctx); err != nil {
		return fmt.Errorf("Unable to initialize cluster information for the datastore migration: %w", err)
	}
	if err := setDatastoreReady(ctx, c, false); err != nil {
		return fmt.Errorf("Error while attempting to lock the datastore for import: %w", err)
	}
	fmt.Fprintln(f.Out, "Datastore locked.")

	if len(file.resources) > 0 {
		if invalid, errs := client.PrepareAll(file.resources); len(errs) > 0 {
			return fmt.Errorf("Failed to import v3 resources: %s", report(f, "apply", "applied", invalid, errs))
		}
		c.MarkPrepared(file.resources)
		if err := c.Prefetch(ctx, file.resources); err != nil && fatal(err) {
			return err
		}
		errs := f.batch(ctx, "import", file.resources, func(ctx context.Context, obj resources.Resource) error {
			_, err := c.Apply(ctx, obj)
			return err
		})
		var failed []error
		applied := 0
		for i, err := range errs {
			switch {
			case err == nil:
				applied++
			case (datastore.IsDoesNotExist(err) || datastore.IsNotSupported(err)) && file.resources[i].GetObjectKind().GroupVersionKind().Kind == "Node":
				fmt.Fprintf(f.Out, "[WARNING] Attempted to import node %s from etcd that references a nonexistent Kubernetes node. Skipping that node. Non-Kubernetes nodes are not supported in the Kubernetes datastore and will be skipped.\n", file.resources[i].GetName())
			default:
				failed = append(failed, err)
			}
		}
		if len(failed) > 0 {
			return fmt.Errorf("Failed to import v3 resources: Hit error(s): %s", errList(failed))
		}
		fmt.Fprintf(f.Out, "Successfully applied %d resource(s)\n", applied)
	}

	kind, _ := resources.ByKind("ClusterInformation")
	_, err = c.Modify(ctx, kind, "", "default", func(obj resources.Resource) (resources.Resource, error) {
		ci := obj.(*api.ClusterInformation)
		ci.Spec.ClusterGUID = file.clusterInfo.Spec.ClusterGUID
		ci.Spec.CalicoVersion = file.clusterInfo.Spec.CalicoVersion
		return ci, nil
	})
	if err != nil {
		return fmt.Errorf("Failed to update cluster information: %w", err)
	}
	fmt.Fprintln(f.Out, "Importing IPAM resources")
	if !file.ipam.Empty() {
		n, err := ipam.ImportAll(f.ipamContext(), c.Store(), file.ipam)
		if err != nil {
			return fmt.Errorf("Failed to import IPAM resources (imported %d blocks, %d block affinities and %d handles before): %w", n.Blocks, n.Affinities, n.Handles, err)
		}
		fmt.Fprintf(f.Out, "Imported %d IPAM blocks, %d block affinities and %d handles\n", n.Blocks, n.Affinities, n.Handles)
	}
	fmt.Fprintln(f.Out, migrationDone)
	return nil
}

// checkNoCalicoResources fails on the first Calico resource found in the datastore. Nodes do not
// count (they are the cluster's Kubernetes nodes), nor do the Calico views of Kubernetes network
// policies.
func checkNoCalicoResources(ctx context.Context, c *client.Client) error {
	for _, name := range append(migrationKinds, "ClusterInformation") {
		if name == "Node" {
			continue
		}
		kind, _ := resources.ByKind(name)
		list, err := c.Store().List(ctx, kind, datastore.ListOptions{})
		if err != nil {
			return fmt.Errorf("Failed to retrieve %s resources during datastore check: %w", kind.Kind, err)
		}
		for _, obj := range list.Items {
			if kind.Kind == "NetworkPolicy" && strings.HasPrefix(obj.GetName(), kubernetesPolicyPrefix) {
				continue
			}
			// The bootstrap of any write creates the protected tiers and the ClusterInformation:
			// they do not make the datastore "used".
			if kind.Kind == "Tier" && client.ProtectedTier(obj.GetName()) || kind.Kind == "ClusterInformation" {
				continue
			}
			return fmt.Errorf("found existing Calico %s resource", kind.Kind)
		}
	}
	return nil
}

// setDatastoreReady sets ClusterInformation default's datastoreReady.
func setDatastoreReady(ctx context.Context, c *client.Client, ready bool) error {
	kind, _ := resources.ByKind("ClusterInformation")
	_, err := c.Modify(ctx, kind, "", "default", func(obj resources.Resource) (resources.Resource, error) {
		obj.(*api.ClusterInformation).Spec.DatastoreReady = &ready
		return obj, nil
	})
	return err
}
