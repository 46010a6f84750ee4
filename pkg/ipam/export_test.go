package ipam

import "time"

// SetClock moves a client's clock forward by seconds, to pass cooldowns in tests.
func SetClock(c *Client, seconds int) {
	at := time.Now().Add(time.Duration(seconds) * time.Second)
	c.now = func() time.Time { return at }
}
