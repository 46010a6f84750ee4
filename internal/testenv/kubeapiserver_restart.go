package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// Kill ends the server at once (SIGKILL), as a crash would; Restart brings it back on the same
// port, files and etcd.
func (k *KubeAPIServer) Kill() {
	if k.cmd == nil || k.cmd.Process == nil {
		return
	}
	k.cmd.Process.Kill()
	<-k.exited
}

// Restart starts a killed server again with the same arguments and waits until it is ready.
func (k *KubeAPIServer) Restart() error {
	k.Kill()
	logFile, err := os.OpenFile(k.LogPath, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(k.cmd.Path, k.cmd.Args[1:]...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = k.cmd.Dir, logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("restarting kube-apiserver: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	k.cmd, k.exited = cmd, exited
	return k.waitReady()
}
