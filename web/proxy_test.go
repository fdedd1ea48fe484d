package web

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestParsePublicURL(t *testing.T) {
	for _, tt := range []struct {
		in, want, err string
	}{
		{"https://synack.example.org", "https://synack.example.org", ""},
		{"https://synack.example.org/", "https://synack.example.org", ""},
		{"HTTPS://Synack.Example.ORG:443", "https://synack.example.org", ""},
		{"http://192.168.1.20:8080", "http://192.168.1.20:8080", ""},
		{"http://[fd00::1]:80", "http://[fd00::1]", ""},
		{"  http://localhost:08080 ", "http://localhost:8080", ""},
		{"synack.example.org", "", "must start with http"},
		{"ftp://synack.example.org", "", "must start with http"},
		{"https://", "", "no host"},
		{"https://:8080", "", "no host"},
		{"https://synack.example.org/course", "", "without a path"},
		{"https://synack.example.org/?a=1", "", "only the scheme"},
		{"https://user@synack.example.org", "", "only the scheme"},
		{"https://synack.example.org:0", "", "not valid"},
		{"https://synack.example.org:99999", "", "not valid"},
		{"https://synack.example.org:http", "", "not a URL"},
		{"http://%zz", "", "not a URL"},
	} {
		got, err := ParsePublicURL(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParsePublicURL(%q) = %q, %v; want an error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParsePublicURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseOrigins(t *testing.T) {
	got, err := ParseOrigins(" https://course.example.edu, ,http://lms.example.com:8443,https://COURSE.example.edu:443")
	want := []string{"https://course.example.edu", "http://lms.example.com:8443"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseOrigins = %q, %v; want %q", got, err, want)
	}
	if got, err := ParseOrigins(""); err != nil || got != nil {
		t.Errorf("ParseOrigins(\"\") = %q, %v", got, err)
	}
	if _, err := ParseOrigins("https://a.example, b.example"); err == nil {
		t.Error("ParseOrigins accepted an origin without a scheme")
	}
}

func TestParsePrefixes(t *testing.T) {
	got, err := ParsePrefixes("10.0.0.0/8, 127.0.0.1,::1, 192.168.1.7/24,fd00::/8")
	want := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"),
		netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("192.168.1.0/24"), netip.MustParsePrefix("fd00::/8"),
	}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ParsePrefixes = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"10.0.0.0/33", "localhost", "10.0.0", "fe80::1%eth0"} {
		if _, err := ParsePrefixes(bad); err == nil {
			t.Errorf("ParsePrefixes(%q) accepted", bad)
		}
	}
}

// proxyRequest is a request from remote with the headers given.
func proxyRequest(remote, host string, header ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/ws", nil)
	r.RemoteAddr, r.Host = remote, host
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

func mustProxy(t *testing.T, cfg ProxyConfig, trusted string) proxy {
	t.Helper()
	pre, err := ParsePrefixes(trusted)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TrustedProxies = pre
	return proxy{cfg: cfg}
}

func TestClientAddr(t *testing.T) {
	p := mustProxy(t, ProxyConfig{}, "127.0.0.1, 10.0.0.0/8")
	for _, tt := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct", "203.0.113.9:5000", nil, "203.0.113.9"},
		{"direct, forged header ignored", "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"proxy without header", "127.0.0.1:5000", nil, "127.0.0.1"},
		{"one proxy", "127.0.0.1:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client's own forgery left of the real address", "127.0.0.1:5000", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies", "127.0.0.1:5000", []string{"198.51.100.1, 10.1.2.3"}, "198.51.100.1"},
		{"header over several lines", "127.0.0.1:5000", []string{"6.6.6.6", "198.51.100.1, 10.1.2.3"}, "198.51.100.1"},
		{"all trusted", "127.0.0.1:5000", []string{"10.0.0.1, 10.1.2.3"}, "10.0.0.1"},
		{"garbage stops at the last good hop", "127.0.0.1:5000", []string{"198.51.100.1, garbage, 10.1.2.3"}, "10.1.2.3"},
		{"with ports and brackets", "127.0.0.1:5000", []string{"[2001:db8::7]:443, 198.51.100.1:80"}, "198.51.100.1"},
		{"IPv6 client", "127.0.0.1:5000", []string{"2001:db8::7"}, "2001:db8::7"},
		{"IPv4-mapped peer", "[::ffff:127.0.0.1]:5000", []string{"198.51.100.1"}, "198.51.100.1"},
	} {
		r := proxyRequest(tt.remote, "example.com")
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		got, ok := p.clientAddr(r)
		if !ok || got.String() != tt.want {
			t.Errorf("%s: clientAddr = %v, %v; want %s", tt.name, got, ok, tt.want)
		}
	}
}

func TestClientKey(t *testing.T) {
	p := mustProxy(t, ProxyConfig{}, "127.0.0.1")
	for _, tt := range []struct{ remote, xff, want string }{
		{"203.0.113.9:1", "", "203.0.113.9"},
		{"[2001:db8:1:2:3:4:5:6]:1", "", "2001:db8:1:2::"},
		{"127.0.0.1:1", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"},
		{"127.0.0.1:1", "198.51.100.1", "198.51.100.1"},
		{"pipe", "", "pipe"},
	} {
		r := proxyRequest(tt.remote, "example.com", "X-Forwarded-For", tt.xff)
		if got := p.clientKey(r); got != tt.want {
			t.Errorf("clientKey(%s, %q) = %q, want %q", tt.remote, tt.xff, got, tt.want)
		}
	}
}

func TestRequestOriginAndOriginCheck(t *testing.T) {
	const public = "https://synack.example.org"
	allowed := []string{"https://course.example.edu"}
	p := mustProxy(t, ProxyConfig{AllowedOrigins: allowed}, "127.0.0.1")
	pub := mustProxy(t, ProxyConfig{PublicURL: public, AllowedOrigins: allowed}, "127.0.0.1")
	for _, tt := range []struct {
		name   string
		p      proxy
		r      *http.Request
		tls    bool
		origin string // requestOrigin
		base   string // publicBase
		ok     []string
		refuse []string
	}{
		{name: "direct", p: p, r: proxyRequest("203.0.113.9:1", "localhost:8080"),
			origin: "http://localhost:8080", base: "http://localhost:8080",
			ok:     []string{"", "http://localhost:8080", "HTTP://LOCALHOST:8080/", "https://course.example.edu"},
			refuse: []string{"https://localhost:8080", "http://localhost", "http://localhost:8081", "http://evil.example", "null", "http://localhost:8080.evil.example", "https://synack.example.org"}},
		{name: "direct over TLS", p: p, r: proxyRequest("203.0.113.9:1", "synack.example.org"), tls: true,
			origin: "https://synack.example.org", base: "https://synack.example.org",
			ok:     []string{"https://synack.example.org", "https://synack.example.org:443"},
			refuse: []string{"http://synack.example.org"}},
		{name: "untrusted peer's forwarded headers are ignored", p: p,
			r:      proxyRequest("203.0.113.9:1", "127.0.0.1:8080", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.example"),
			origin: "http://127.0.0.1:8080", base: "http://127.0.0.1:8080",
			ok: []string{"http://127.0.0.1:8080"}, refuse: []string{"https://evil.example"}},
		{name: "trusted proxy's forwarded headers", p: p,
			r:      proxyRequest("127.0.0.1:1", "127.0.0.1:8080", "X-Forwarded-Proto", "HTTPS, http", "X-Forwarded-Host", "Synack.Example.org"),
			origin: "https://synack.example.org", base: "https://synack.example.org",
			ok: []string{"https://synack.example.org"}, refuse: []string{"http://127.0.0.1:8080", "http://synack.example.org"}},
		{name: "trusted proxy with nginx's default Host and a public URL", p: pub,
			r:      proxyRequest("127.0.0.1:1", "127.0.0.1:8080", "X-Forwarded-Proto", "https"),
			origin: "https://127.0.0.1:8080", base: public,
			ok: []string{public, "https://course.example.edu"}, refuse: []string{"http://synack.example.org", "https://evil.example"}},
		{name: "a bad forwarded proto is ignored", p: p,
			r:      proxyRequest("127.0.0.1:1", "example.com", "X-Forwarded-Proto", "gopher"),
			origin: "http://example.com", base: "http://example.com"},
	} {
		if tt.tls {
			tt.r.TLS = &tls.ConnectionState{}
		}
		if got := tt.p.requestOrigin(tt.r); got != tt.origin {
			t.Errorf("%s: requestOrigin = %q, want %q", tt.name, got, tt.origin)
		}
		if got := tt.p.publicBase(tt.r); got != tt.base {
			t.Errorf("%s: publicBase = %q, want %q", tt.name, got, tt.base)
		}
		for _, o := range tt.ok {
			tt.r.Header.Set("Origin", o)
			if o == "" {
				tt.r.Header.Del("Origin")
			}
			if !tt.p.originAllowed(tt.r) {
				t.Errorf("%s: origin %q refused", tt.name, o)
			}
		}
		for _, o := range tt.refuse {
			tt.r.Header.Set("Origin", o)
			if tt.p.originAllowed(tt.r) {
				t.Errorf("%s: origin %q accepted", tt.name, o)
			}
		}
	}
}

func TestLANHint(t *testing.T) {
	const lan = "http://192.168.1.20:8080"
	p := proxy{cfg: ProxyConfig{LANURL: lan}}
	for host, want := range map[string]string{
		"localhost:8080":    lan,
		"127.0.0.1:8080":    lan,
		"[::1]:8080":        lan,
		"app.localhost":     lan,
		"192.168.1.20:8080": "",
		"synack.example":    "",
	} {
		if got := p.lanHint(proxyRequest("127.0.0.1:1", host)); got != want {
			t.Errorf("lanHint on %s = %q, want %q", host, got, want)
		}
	}
	withPublic := proxy{cfg: ProxyConfig{LANURL: lan, PublicURL: "http://10.0.0.5:8080"}}
	if got := withPublic.lanHint(proxyRequest("127.0.0.1:1", "localhost:8080")); got != "" {
		t.Errorf("lanHint with a public URL = %q", got)
	}
}

func TestLANURL(t *testing.T) {
	if got := LANURL(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}); got != "" {
		t.Errorf("LANURL of a loopback listener = %q", got)
	}
	got := LANURL(&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080})
	if got == "" {
		t.Skip("this machine has no private address")
	}
	u, err := ParsePublicURL(got)
	if err != nil || !strings.HasSuffix(u, ":8080") {
		t.Errorf("LANURL = %q (%v)", got, err)
	}
}

// FuzzNormalOrigin: any input is either refused or written in a form that
// reads back as itself.
func FuzzNormalOrigin(f *testing.F) {
	for _, s := range []string{"http://a.example", "HTTPS://A.example:443/", "http://[::1]:80", "null", "http://a:0", "http://%41"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, ok := normalOrigin(s)
		if !ok {
			return
		}
		again, ok := normalOrigin(o)
		if !ok || again != o {
			t.Fatalf("normalOrigin(%q) = %q, which reads back as %q, %v", s, o, again, ok)
		}
	})
}

// TestPageConfigProxy: the app page carries the public URL for the links it
// writes, and the LAN hint only when opened on localhost without one.
func TestPageConfigProxy(t *testing.T) {
	const lan = "http://192.168.1.20:8080"
	for _, tt := range []struct {
		name         string
		proxy        ProxyConfig
		host         string
		public, hint string
	}{
		{"localhost", ProxyConfig{LANURL: lan}, "localhost:8080", "", lan},
		{"the LAN address", ProxyConfig{LANURL: lan}, "192.168.1.20:8080", "", ""},
		{"a public URL", ProxyConfig{LANURL: lan, PublicURL: "https://synack.example.org"}, "localhost:8080", "https://synack.example.org", ""},
	} {
		h := newTestServer(t, Config{Proxy: tt.proxy}).Handler()
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Host = tt.host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		cfg, _ := pageConfig(t, w.Body.String())
		if cfg.PublicURL != tt.public || cfg.LANURL != tt.hint {
			t.Errorf("%s: publicURL %q, lanURL %q; want %q, %q", tt.name, cfg.PublicURL, cfg.LANURL, tt.public, tt.hint)
		}
	}
}
