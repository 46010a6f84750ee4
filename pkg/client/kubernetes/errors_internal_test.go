package kubernetes

import (
	"errors"
	"net/url"
	"testing"
)

// Requests in flight on an HTTP/2 connection that Go's client closes after a failed write, or
// after an unanswered ping, may have been applied: they are lost answers, retried as such.
func TestLostAnswerOnASharedHTTP2Connection(t *testing.T) {
	for _, msg := range []string{
		"http2: client connection force closed via ClientConn.Close",
		"http2: client connection lost",
	} {
		err := &url.Error{Op: "Post", URL: "https://127.0.0.1:6443/apis/crd.projectcalico.org/v1/globalnetworkpolicies", Err: errors.New(msg)}
		if !lostAnswer(err) {
			t.Errorf("%v: not a lost answer", err)
		}
	}
	if lostAnswer(errors.New("globalnetworkpolicies.crd.projectcalico.org is forbidden")) {
		t.Error("a refusal counted as a lost answer")
	}
}
