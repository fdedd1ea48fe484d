package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Where users reach the server, and who they are, when a reverse proxy may
// stand between them: the public URL (-public-url), the further origins
// whose pages may open /ws (-allowed-origins), and the proxies whose
// X-Forwarded-For, -Proto and -Host headers are believed
// (-trusted-proxies). Every room link, QR code, embed snippet, oEmbed
// answer, origin check and per-address limit asks here.

// ProxyConfig says where users reach the server and which proxies speak
// for them. The zero value believes no forwarded header and builds links
// from each request's own host.
type ProxyConfig struct {
	// PublicURL is the origin users reach the server at (scheme, host and
	// port, no path), from ParsePublicURL; "" to use each request's own.
	PublicURL string
	// AllowedOrigins are further origins whose pages may open /ws, from
	// ParseOrigins.
	AllowedOrigins []string
	// TrustedProxies are the addresses whose forwarded headers are
	// believed, from ParsePrefixes.
	TrustedProxies []netip.Prefix
	// LANURL is the server's address on the local network (such as
	// http://192.168.1.20:8080), offered to a presenter whose page is on
	// localhost when there is no PublicURL; "" for none.
	LANURL string
}

// ParsePublicURL reads the address users reach the server at: an http or
// https URL with a host and no path, query or user. It answers its origin,
// in the form normalOrigin gives.
func ParsePublicURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("%q is not a URL", s)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%q: the URL must start with http:// or https://", s)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("%q: the URL has no host", s)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("%q: give only the scheme, host and port", s)
	case u.Path != "" && u.Path != "/":
		return "", fmt.Errorf("%q: synack must be served at the root of its host, without a path", s)
	}
	origin, ok := normalOrigin(u.Scheme + "://" + u.Host)
	if !ok {
		return "", fmt.Errorf("%q: the host or port is not valid", s)
	}
	return origin, nil
}

// ParseOrigins reads a comma-separated list of origins, each as
// ParsePublicURL reads one. Empty entries are skipped.
func ParseOrigins(s string) ([]string, error) {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		origin, err := ParsePublicURL(part)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, origin) {
			out = append(out, origin)
		}
	}
	return out, nil
}

// ParsePrefixes reads a comma-separated list of networks in CIDR notation
// (10.0.0.0/8, fd00::/8) or single addresses (127.0.0.1, ::1).
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		var p netip.Prefix
		if strings.Contains(part, "/") {
			var err error
			if p, err = netip.ParsePrefix(part); err != nil {
				return nil, fmt.Errorf("%q is not a network such as 10.0.0.0/8 or an address", part)
			}
		} else {
			a, err := netip.ParseAddr(part)
			if err != nil || a.Zone() != "" {
				return nil, fmt.Errorf("%q is not a network such as 10.0.0.0/8 or an address", part)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// normalOrigin writes an http or https origin the way two equal ones are
// written alike: scheme and host in lower case, the default port left
// out, IPv6 in brackets. ok is false for anything else, "null" included.
func normalOrigin(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" ||
		u.User != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" || strings.ContainsAny(host, "/@ ") {
		return "", false
	}
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return "", false
		}
		if port = strconv.FormatUint(n, 10); port == defaultPort(scheme) {
			port = ""
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, true
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// proxy answers, for one request, where it came from and which address
// the user sees.
type proxy struct {
	cfg ProxyConfig
}

// trusted reports that the request's peer is a trusted proxy.
func (p proxy) trusted(r *http.Request) bool {
	a, ok := remoteAddr(r)
	return ok && p.trustedAddr(a)
}

func (p proxy) trustedAddr(a netip.Addr) bool {
	a = a.Unmap()
	for _, pre := range p.cfg.TrustedProxies {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

// remoteAddr is the address of the request's peer.
func remoteAddr(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(r.RemoteAddr)
	return a.Unmap(), err == nil
}

// clientAddr is the address of the user who made the request: the peer,
// or, when the peer is a trusted proxy, the nearest address in
// X-Forwarded-For that is not a trusted proxy. Entries further left were
// written by whoever sent them and are not believed. A malformed entry
// stops the walk at the last proxy that wrote a good one.
func (p proxy) clientAddr(r *http.Request) (netip.Addr, bool) {
	peer, ok := remoteAddr(r)
	if !ok || !p.trustedAddr(peer) {
		return peer, ok
	}
	hops := forwardedValues(r.Header.Values("X-Forwarded-For"))
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseForwardedAddr(hops[i])
		if !ok {
			break
		}
		client = a
		if !p.trustedAddr(a) {
			break
		}
	}
	return client, true
}

// parseForwardedAddr reads one X-Forwarded-For entry: an address, maybe
// with a port, IPv6 maybe in brackets.
func parseForwardedAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// forwardedValues splits the comma-separated values of a header's lines,
// in order.
func forwardedValues(lines []string) []string {
	var out []string
	for _, line := range lines {
		for v := range strings.SplitSeq(line, ",") {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

// clientKey is the client's address as per-address limits count it: an
// IPv4 address, or the /64 network of an IPv6 one (one household or
// phone). A request whose peer cannot be read is keyed by its RemoteAddr.
func (p proxy) clientKey(r *http.Request) string {
	a, ok := p.clientAddr(r)
	if !ok {
		return r.RemoteAddr
	}
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().Addr().String()
}

// requestOrigin is the origin the request was made to, as the user's
// browser wrote it: its scheme (TLS, or X-Forwarded-Proto from a trusted
// proxy) and its host (Host, or X-Forwarded-Host from a trusted proxy).
func (p proxy) requestOrigin(r *http.Request) string {
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if p.trusted(r) {
		if v := firstValue(r.Header.Get("X-Forwarded-Proto")); v == "http" || v == "https" {
			scheme = v
		}
		if v := firstValue(r.Header.Get("X-Forwarded-Host")); v != "" {
			host = v
		}
	}
	if origin, ok := normalOrigin(scheme + "://" + host); ok {
		return origin
	}
	return scheme + "://" + host
}

// firstValue is the first of a header's comma-separated values: the one
// the proxy nearest the user wrote.
func firstValue(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.ToLower(strings.TrimSpace(first))
}

// publicBase is where links to this server point: the public URL, else
// the origin the request was made to.
func (p proxy) publicBase(r *http.Request) string {
	if p.cfg.PublicURL != "" {
		return p.cfg.PublicURL
	}
	return p.requestOrigin(r)
}

// originAllowed reports whether a WebSocket handshake's Origin may open a
// session: the origin the request was made to, the public URL or one of
// the allowed origins, compared exactly (scheme, host and port). Browsers
// send Origin with every WebSocket handshake, so a page of another site
// cannot open a session in its visitor's name; a handshake without Origin
// comes from a program (a test, curl, a script), which could forge any
// Origin anyway, and is accepted.
func (p proxy) originAllowed(r *http.Request) bool {
	raw := r.Header.Get("Origin")
	if raw == "" {
		return true
	}
	origin, ok := normalOrigin(raw)
	if !ok {
		return false
	}
	return origin == p.requestOrigin(r) || origin == p.cfg.PublicURL || slices.Contains(p.cfg.AllowedOrigins, origin)
}

// lanHint is the server's LAN address when the page was opened on
// localhost and no public URL is set: links built from localhost do not
// open on students' devices. "" otherwise.
func (p proxy) lanHint(r *http.Request) string {
	if p.cfg.PublicURL != "" || p.cfg.LANURL == "" {
		return ""
	}
	u, err := url.Parse(p.requestOrigin(r))
	if err != nil || !isLoopbackHost(u.Hostname()) {
		return ""
	}
	return p.cfg.LANURL
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// LANURL is the address on the local network at which a server listening
// on addr can be reached, from the machine's interfaces: "" when addr
// listens on one address only (then only that address serves) or the
// machine has no private address. A private IPv4 address is preferred.
func LANURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return ""
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return ""
	}
	var best netip.Addr
	for _, iface := range ifaces {
		if iface.Flags&net.FlagUp == 0 || iface.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := iface.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if !ok {
				continue
			}
			ip = ip.Unmap()
			if !ip.IsPrivate() || (tcp.IP.To4() != nil && !ip.Is4()) {
				continue
			}
			if !best.IsValid() || (ip.Is4() && !best.Is4()) {
				best = ip
			}
		}
	}
	if !best.IsValid() {
		return ""
	}
	return "http://" + netip.AddrPortFrom(best, uint16(tcp.Port)).String()
}
