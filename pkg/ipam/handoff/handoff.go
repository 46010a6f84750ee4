// Package handoff is the calico-ipam plugin's side of its daemon: the socket it looks for, the
// request and answer they exchange, and the exchange itself. It links nothing but the standard
// library's encoding/json, os and syscall, so that the plugin can hand a command over while its
// other packages are still to be initialised (see package early).
package handoff

import (
	"encoding/json"
	"errors"
	"os"
	"syscall"
	"time"
)

// DefaultSocket is where the daemon listens and the plugin looks for it.
const DefaultSocket = "/var/run/calico/calico-ipam.sock"

// SocketEnv names another socket, for the daemon and the plugin alike; "none" makes the plugin
// always do the work itself.
const SocketEnv = "CALICO_IPAM_DAEMON_SOCKET"

// Protocol is the version of Request and Response; a daemon declines requests of another version,
// and the plugin then does the work itself.
const Protocol = 1

// Request is one CNI command: the CNI environment and the network configuration.
type Request struct {
	Protocol    int    `json:"protocol"`
	Command     string `json:"command"`
	ContainerID string `json:"containerID"`
	Netns       string `json:"netns"`
	IfName      string `json:"ifName"`
	Args        string `json:"args"`
	Path        string `json:"path"`
	StdinData   []byte `json:"stdin"`
}

// Response is the daemon's answer.
type Response struct {
	// Stdout is what the plugin prints on success: ADD's result.
	Stdout []byte `json:"stdout,omitempty"`
	// Error is the CNI error the plugin prints and exits 1 with.
	Error *Error `json:"error,omitempty"`
	// Decline says why the daemon did not carry the command out; the plugin then does.
	Decline string `json:"decline,omitempty"`
}

// Error is a CNI error result, with the fields and field order of the CNI library's, so that it
// prints the same.
type Error struct {
	Code    uint   `json:"code"`
	Msg     string `json:"msg"`
	Details string `json:"details,omitempty"`
}

// Print writes the error as a CNI plugin prints one on stdout.
func (e *Error) Print() error {
	b, err := json.MarshalIndent(e, "", "    ")
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(b)
	return err
}

// ErrTryAgainLater is CNI's error code 11.
const ErrTryAgainLater = 11

// Skip is set once this process has found the daemon unable to serve it (it declined, or lost an
// answer that may be asked again): later attempts in the process do the work themselves.
var Skip bool

// Socket is the socket the plugin looks for, "" when the operator turned the daemon off.
func Socket() string {
	switch v := os.Getenv(SocketEnv); v {
	case "":
		return DefaultSocket
	case "none":
		return ""
	default:
		return v
	}
}

// ErrNoDaemon means nobody listens on the socket: nothing was sent.
var ErrNoDaemon = errors.New("no calico-ipam daemon listens")

// Conn is a connection to the daemon, made with system calls alone.
type Conn struct {
	fd int
}

// Dial connects to the daemon, or returns ErrNoDaemon (wrapping the reason).
func Dial(path string) (*Conn, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, errors.Join(ErrNoDaemon, err)
	}
	c := &Conn{fd: fd}
	// A daemon too busy to accept within a second is as good as none.
	if err := c.timeouts(time.Second); err != nil {
		c.Close()
		return nil, errors.Join(ErrNoDaemon, err)
	}
	for {
		err = syscall.Connect(fd, &syscall.SockaddrUnix{Name: path})
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		c.Close()
		return nil, errors.Join(ErrNoDaemon, &os.PathError{Op: "connect", Path: path, Err: err})
	}
	return c, nil
}

func (c *Conn) timeouts(d time.Duration) error {
	tv := syscall.NsecToTimeval(d.Nanoseconds())
	if err := syscall.SetsockoptTimeval(c.fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv); err != nil {
		return err
	}
	return syscall.SetsockoptTimeval(c.fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
}

// Close closes the connection.
func (c *Conn) Close() error { return syscall.Close(c.fd) }

// Exchange sends the request and reads the answer, within timeout. sent tells whether the daemon
// has the whole request: only then may it have acted on it.
func (c *Conn) Exchange(req Request, timeout time.Duration) (resp Response, sent bool, err error) {
	b, err := json.Marshal(req)
	if err != nil {
		return resp, false, err
	}
	if err := c.timeouts(timeout); err != nil {
		return resp, false, err
	}
	for len(b) > 0 {
		n, err := syscall.Write(c.fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return resp, false, err
		}
		b = b[n:]
	}
	if err := syscall.Shutdown(c.fd, syscall.SHUT_WR); err != nil {
		return resp, false, err
	}
	var answer []byte
	buf := make([]byte, 16<<10)
	for {
		n, err := syscall.Read(c.fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			return resp, true, errors.New("no answer within " + timeout.String())
		}
		if err != nil {
			return resp, true, err
		}
		if n == 0 {
			break
		}
		answer = append(answer, buf[:n]...)
	}
	if len(answer) == 0 {
		return resp, true, errors.New("the daemon closed the connection without an answer")
	}
	if err := json.Unmarshal(answer, &resp); err != nil {
		return resp, true, errors.New("unreadable answer: " + err.Error())
	}
	return resp, true, nil
}

// LostAnswer is the error of an ADD the daemon took and did not answer: it is not repeated (the
// daemon may have assigned an address); the runtime's DEL releases what it assigned, and its retry
// allocates again.
func LostAnswer(path string, err error) *Error {
	return &Error{Code: ErrTryAgainLater, Msg: "the calico-ipam daemon at " + path + " took the ADD but gave no answer (" + err.Error() +
		"): retry the ADD; an address the daemon may have assigned is released by DEL"}
}
