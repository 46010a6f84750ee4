package ipam

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// ConfigureOptions are the options of ipam configure; empty or negative means "leave as is".
type ConfigureOptions struct {
	Config                string
	StrictAffinity        string
	MaxBlocksPerHost      int
	KubeVirtIPPersistence string
	IPCooldownSeconds     int
}

// NewCmdConfigure builds ipam configure.
func NewCmdConfigure(env *Env, runF func(*ConfigureOptions) error) *cobra.Command {
	opts := &ConfigureOptions{}
	cmd := &cobra.Command{
		Use:   "configure [--strictaffinity=true|false] [--max-blocks-per-host=N] [--kubevirt-ip-persistence=Enabled|Disabled] [--ip-cooldown-seconds=N]",
		Short: "Change the IPAM configuration",
		Example: `  calicoctl ipam configure --strictaffinity=true
  calicoctl ipam configure --strictaffinity=true --max-blocks-per-host=4`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("max-blocks-per-host") {
				opts.MaxBlocksPerHost = -1
			}
			if runF != nil {
				return runF(opts)
			}
			return runConfigure(env, opts)
		},
	}
	addConfigFlag(cmd, &opts.Config)
	cmd.Flags().StringVar(&opts.StrictAffinity, "strictaffinity", "", "true: hosts only use their own blocks (no borrowing)")
	cmd.Flags().IntVar(&opts.MaxBlocksPerHost, "max-blocks-per-host", 0, "the most blocks one host may claim (0: no limit; needs strict affinity)")
	cmd.Flags().StringVar(&opts.KubeVirtIPPersistence, "kubevirt-ip-persistence", "", "Enabled or Disabled: KubeVirt VMs keep their addresses")
	cmd.Flags().IntVar(&opts.IPCooldownSeconds, "ip-cooldown-seconds", -1, "seconds a released address waits before it is handed out again")
	return cmd
}

func runConfigure(env *Env, opts *ConfigureOptions) error {
	var strict bool
	if opts.StrictAffinity != "" {
		v, err := strconv.ParseBool(opts.StrictAffinity)
		if err != nil {
			return errors.New("invalid value. Use true or false to set strictaffinity")
		}
		strict = v
	}
	switch opts.KubeVirtIPPersistence {
	case "", string(api.VMAddressPersistenceEnabled), string(api.VMAddressPersistenceDisabled):
	default:
		return errors.New("invalid value. Use Enabled or Disabled to set kubevirt-ip-persistence")
	}
	if opts.StrictAffinity == "" && opts.MaxBlocksPerHost < 0 && opts.KubeVirtIPPersistence == "" && opts.IPCooldownSeconds < 0 {
		return errors.New("at least one configuration option must be specified")
	}
	c, ic, err := connect(env, opts.Config)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := env.Context()
	cfg, err := ic.GetConfig(ctx)
	if err != nil {
		return err
	}
	var done []string
	if opts.StrictAffinity != "" {
		cfg.StrictAffinity = strict
		done = append(done, fmt.Sprintf("Successfully set StrictAffinity to: %v", strict))
	}
	if opts.MaxBlocksPerHost >= 0 {
		cfg.MaxBlocksPerHost = opts.MaxBlocksPerHost
		done = append(done, fmt.Sprintf("Successfully set MaxBlocksPerHost to: %d", opts.MaxBlocksPerHost))
	}
	if opts.KubeVirtIPPersistence != "" {
		cfg.KubeVirtVMAddressPersistence = api.VMAddressPersistence(opts.KubeVirtIPPersistence)
		done = append(done, "Successfully set KubeVirtVMAddressPersistence to: "+opts.KubeVirtIPPersistence)
	}
	if opts.IPCooldownSeconds >= 0 {
		cfg.IPCooldownSeconds = opts.IPCooldownSeconds
		done = append(done, fmt.Sprintf("Successfully set IPCooldownSeconds to: %d", opts.IPCooldownSeconds))
	}
	if err := ic.SetConfig(ctx, cfg); err != nil {
		return err
	}
	for _, d := range done {
		fmt.Fprintln(env.Out, d)
	}
	return nil
}
