package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
)

// EtcdTLS builds the TLS configuration for etcd from the file or inline PEM settings: a CA pool
// and a client certificate. It is nil when no such setting is given and no endpoint uses https;
// for https endpoints without a CA the system roots are used.
func (s *CalicoAPIConfigSpec) EtcdTLS() (*tls.Config, error) {
	if s.mixesInlineAndFiles() {
		return nil, errMixedCerts
	}
	ca, err := readPEM("etcdCACert", s.EtcdCACert, "etcdCACertFile", s.EtcdCACertFile)
	if err != nil {
		return nil, err
	}
	cert, err := readPEM("etcdCert", s.EtcdCert, "etcdCertFile", s.EtcdCertFile)
	if err != nil {
		return nil, err
	}
	key, err := readPEM("etcdKey", s.EtcdKey, "etcdKeyFile", s.EtcdKeyFile)
	if err != nil {
		return nil, err
	}
	if ca.data == nil && cert.data == nil && key.data == nil && !s.usesHTTPS() {
		return nil, nil
	}

	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca.data != nil {
		if cfg.RootCAs, err = certPool(ca); err != nil {
			return nil, err
		}
	}
	switch {
	case cert.data != nil && key.data != nil:
		pair, err := tls.X509KeyPair(cert.data, key.data)
		if err != nil {
			return nil, fmt.Errorf("loading the etcd client certificate from %s and %s: %v", cert.setting, key.setting, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	case cert.data != nil:
		return nil, fmt.Errorf("%s is set but no client key is (etcdKeyFile or etcdKey); a client certificate needs both", cert.setting)
	case key.data != nil:
		return nil, fmt.Errorf("%s is set but no client certificate is (etcdCertFile or etcdCert); a client key needs both", key.setting)
	}
	return cfg, nil
}

// pemSetting is PEM data and the setting it came from, for error messages
// ("etcdCACert" or "etcdCACertFile /x/ca.pem").
type pemSetting struct {
	data    []byte
	setting string
}

// readPEM returns the inline value, or else the content of the file; data is nil when neither
// is set.
func readPEM(inlineName, inline, fileName, path string) (pemSetting, error) {
	switch {
	case inline != "":
		return pemSetting{data: []byte(inline), setting: inlineName}, nil
	case path != "":
		b, err := os.ReadFile(path)
		if err != nil {
			return pemSetting{}, fmt.Errorf("reading %s %s: %w", fileName, path, err)
		}
		return pemSetting{data: b, setting: fileName + " " + path}, nil
	}
	return pemSetting{}, nil
}

// certPool parses every CERTIFICATE block of p. Unlike x509.CertPool.AppendCertsFromPEM it
// says why a CA does not load.
func certPool(p pemSetting) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	for rest := p.data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: parsing the CA certificate: %v", p.setting, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: no PEM-encoded CERTIFICATE found", p.setting)
	}
	return pool, nil
}

func (s *CalicoAPIConfigSpec) usesHTTPS() bool {
	for _, ep := range s.EtcdEndpointList() {
		if strings.HasPrefix(strings.ToLower(ep), "https://") {
			return true
		}
	}
	return false
}
