// Package settings maps the settings of calicoctl v1's `config get/set/unset` (asNumber,
// nodeToNodeMesh, logLevel, ipip) onto the v3 resources that hold them today:
//
//	asNumber        BGPConfiguration default spec.asNumber (unset: 64512)
//	nodeToNodeMesh  BGPConfiguration default spec.nodeToNodeMeshEnabled (unset: on)
//	logLevel        BGPConfiguration and FelixConfiguration spec.logSeverityScreen, of default or
//	                of node.<name> with --node (unset: info, or the global value for a node)
//	ipip            FelixConfiguration default spec.ipipEnabled (unset: on when an IP pool uses
//	                IPIP, as Felix decides)
//
// Values are read and printed in v1's words (on/off, 64512, info); resources are created when
// absent.
package settings

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/calicoctl-go/calicoctl/pkg/client"
	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// DefaultASNumber is the AS number of nodes when none is configured.
const DefaultASNumber = 64512

// setting is one v1 name: how to read, write and clear it.
type setting struct {
	name    string
	perNode bool
	get     func(ctx context.Context, c *client.Client, node string) (string, error)
	set     func(ctx context.Context, c *client.Client, node, value string) error
	unset   func(ctx context.Context, c *client.Client, node string) error
}

var all = []setting{
	{name: "asNumber", get: getAS, set: setAS, unset: unsetAS},
	{name: "nodeToNodeMesh", get: getMesh, set: setMesh, unset: unsetMesh},
	{name: "logLevel", perNode: true, get: getLogLevel, set: setLogLevel, unset: unsetLogLevel},
	{name: "ipip", get: getIPIP, set: setIPIP, unset: unsetIPIP},
}

// Names lists the settings, as v1 spelled them.
func Names() []string {
	var out []string
	for _, s := range all {
		out = append(out, s.name)
	}
	return out
}

func lookup(name, node string) (*setting, error) {
	for i := range all {
		if strings.EqualFold(all[i].name, name) {
			s := &all[i]
			if node != "" && !s.perNode {
				return nil, fmt.Errorf("--node should not be specified: %s is a cluster-wide setting", s.name)
			}
			return s, nil
		}
	}
	return nil, fmt.Errorf("unrecognised config name '%s': expected one of %s", name, strings.Join(Names(), ", "))
}

// Get returns a setting's value as v1 printed it.
func Get(ctx context.Context, c *client.Client, name, node string) (string, error) {
	s, err := lookup(name, node)
	if err != nil {
		return "", err
	}
	if err := nodeExists(ctx, c, node); err != nil {
		return "", err
	}
	return s.get(ctx, c, node)
}

// Set changes a setting, creating the resource that holds it when absent. The value is checked
// before anything is written.
func Set(ctx context.Context, c *client.Client, name, node, value string) error {
	s, err := lookup(name, node)
	if err != nil {
		return err
	}
	if err := nodeExists(ctx, c, node); err != nil {
		return err
	}
	return s.set(ctx, c, node, value)
}

// Unset returns a setting to its default (for a node: to the global value).
func Unset(ctx context.Context, c *client.Client, name, node string) error {
	s, err := lookup(name, node)
	if err != nil {
		return err
	}
	if err := nodeExists(ctx, c, node); err != nil {
		return err
	}
	return s.unset(ctx, c, node)
}

func nodeExists(ctx context.Context, c *client.Client, node string) error {
	if node == "" {
		return nil
	}
	_, err := c.Get(ctx, mustKind("Node"), "", node)
	if datastore.IsDoesNotExist(err) {
		return fmt.Errorf("node '%s' does not exist: check the name with 'calicoctl get nodes'", node)
	}
	return err
}

func invalid(name, value, accepted string) error {
	return fmt.Errorf("invalid value '%s' for %s: expected %s", value, name, accepted)
}

func mustKind(name string) *resources.Kind {
	k, ok := resources.ByKind(name)
	if !ok {
		panic("kind not registered: " + name)
	}
	return k
}

// read returns the named object, or nil when it does not exist.
func read[T any, PT interface {
	*T
	resources.Resource
}](ctx context.Context, c *client.Client, kind, name string) (PT, error) {
	obj, err := c.Get(ctx, mustKind(kind), "", name)
	if datastore.IsDoesNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return obj.(PT), nil
}

// edit changes the named object with a conditional write, creating it when absent.
func edit[T any, PT interface {
	*T
	resources.Resource
}](ctx context.Context, c *client.Client, kindName, name string, change func(PT)) error {
	kind := mustKind(kindName)
	for attempt := 0; attempt < 5; attempt++ {
		_, err := c.Modify(ctx, kind, "", name, func(obj resources.Resource) (resources.Resource, error) {
			change(obj.(PT))
			return obj, nil
		})
		if !datastore.IsDoesNotExist(err) {
			if err != nil {
				return fmt.Errorf("updating %s %s: %w", kindName, name, err)
			}
			return nil
		}
		obj := kind.NewObject().(PT)
		obj.SetName(name)
		change(obj)
		_, err = c.Create(ctx, obj)
		if !datastore.IsAlreadyExists(err) {
			if err != nil {
				return fmt.Errorf("creating %s %s: %w", kindName, name, err)
			}
			return nil
		}
	}
	return fmt.Errorf("%s %s keeps changing under this update: try again", kindName, name)
}

func bgpConfig(ctx context.Context, c *client.Client, name string) (*api.BGPConfiguration, error) {
	return read[api.BGPConfiguration](ctx, c, "BGPConfiguration", name)
}

func felixConfig(ctx context.Context, c *client.Client, name string) (*api.FelixConfiguration, error) {
	return read[api.FelixConfiguration](ctx, c, "FelixConfiguration", name)
}

// asNumber

func getAS(ctx context.Context, c *client.Client, _ string) (string, error) {
	bc, err := bgpConfig(ctx, c, "default")
	if err != nil || bc == nil || bc.Spec.ASNumber == nil {
		return fmt.Sprint(DefaultASNumber), err
	}
	return bc.Spec.ASNumber.String(), nil
}

func setAS(ctx context.Context, c *client.Client, _, value string) error {
	as, err := api.ParseASNumber(value)
	if err != nil {
		return invalid("asNumber", value, "0 to 4294967295, or the dotted form a.b")
	}
	return edit(ctx, c, "BGPConfiguration", "default", func(bc *api.BGPConfiguration) { bc.Spec.ASNumber = &as })
}

func unsetAS(ctx context.Context, c *client.Client, _ string) error {
	return edit(ctx, c, "BGPConfiguration", "default", func(bc *api.BGPConfiguration) { bc.Spec.ASNumber = nil })
}

// nodeToNodeMesh

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func parseOnOff(name, value string) (bool, error) {
	switch value {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, invalid(name, value, "on, off")
}

func getMesh(ctx context.Context, c *client.Client, _ string) (string, error) {
	bc, err := bgpConfig(ctx, c, "default")
	if err != nil || bc == nil || bc.Spec.NodeToNodeMeshEnabled == nil {
		return "on", err
	}
	return onOff(*bc.Spec.NodeToNodeMeshEnabled), nil
}

func setMesh(ctx context.Context, c *client.Client, _, value string) error {
	on, err := parseOnOff("nodeToNodeMesh", value)
	if err != nil {
		return err
	}
	return edit(ctx, c, "BGPConfiguration", "default", func(bc *api.BGPConfiguration) {
		bc.Spec.NodeToNodeMeshEnabled = &on
		if !on {
			// Calico refuses these fields with the mesh off: they configure the mesh.
			bc.Spec.NodeMeshPassword, bc.Spec.NodeMeshMaxRestartTime = nil, nil
		}
	})
}

func unsetMesh(ctx context.Context, c *client.Client, _ string) error {
	return edit(ctx, c, "BGPConfiguration", "default", func(bc *api.BGPConfiguration) { bc.Spec.NodeToNodeMeshEnabled = nil })
}

// logLevel: v1's names, and the v3 value each is stored as in both BGPConfiguration and
// FelixConfiguration. v3 has no "none" or "critical"; both are its quietest level, Fatal.
var logLevels = map[string]string{
	"none": "Fatal", "debug": "Debug", "info": "Info", "warning": "Warning", "error": "Error", "critical": "Fatal",
	"trace": "Trace", "fatal": "Fatal",
}

func logLevelNames() []string {
	var out []string
	for k := range logLevels {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func configName(node string) string {
	if node == "" {
		return "default"
	}
	return "node." + node
}

func getLogLevel(ctx context.Context, c *client.Client, node string) (string, error) {
	fc, err := felixConfig(ctx, c, configName(node))
	if err != nil {
		return "", err
	}
	if fc != nil && fc.Spec.LogSeverityScreen != "" {
		return strings.ToLower(fc.Spec.LogSeverityScreen), nil
	}
	if node == "" {
		return "info", nil
	}
	global, err := getLogLevel(ctx, c, "")
	return global + " (inherited from global)", err
}

func setLogLevel(ctx context.Context, c *client.Client, node, value string) error {
	v3, ok := logLevels[strings.ToLower(value)]
	if !ok {
		return invalid("logLevel", value, strings.Join(logLevelNames(), ", "))
	}
	return setBothLogLevels(ctx, c, node, v3)
}

func unsetLogLevel(ctx context.Context, c *client.Client, node string) error {
	return setBothLogLevels(ctx, c, node, "")
}

func setBothLogLevels(ctx context.Context, c *client.Client, node, v3 string) error {
	name := configName(node)
	return errors.Join(
		edit(ctx, c, "BGPConfiguration", name, func(bc *api.BGPConfiguration) { bc.Spec.LogSeverityScreen = v3 }),
		edit(ctx, c, "FelixConfiguration", name, func(fc *api.FelixConfiguration) { fc.Spec.LogSeverityScreen = v3 }),
	)
}

// ipip

func getIPIP(ctx context.Context, c *client.Client, _ string) (string, error) {
	fc, err := felixConfig(ctx, c, "default")
	if err != nil {
		return "", err
	}
	if fc != nil && fc.Spec.IPIPEnabled != nil {
		return onOff(*fc.Spec.IPIPEnabled), nil
	}
	pools, err := c.List(ctx, mustKind("IPPool"), datastore.ListOptions{})
	if err != nil {
		return "", err
	}
	for _, p := range pools.Items {
		if mode := p.(*api.IPPool).Spec.IPIPMode; mode != "" && mode != api.IPIPModeNever {
			return "on", nil
		}
	}
	return "off", nil
}

func setIPIP(ctx context.Context, c *client.Client, _, value string) error {
	on, err := parseOnOff("ipip", value)
	if err != nil {
		return err
	}
	return edit(ctx, c, "FelixConfiguration", "default", func(fc *api.FelixConfiguration) { fc.Spec.IPIPEnabled = &on })
}

func unsetIPIP(ctx context.Context, c *client.Client, _ string) error {
	return edit(ctx, c, "FelixConfiguration", "default", func(fc *api.FelixConfiguration) { fc.Spec.IPIPEnabled = nil })
}
