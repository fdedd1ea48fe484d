package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/synack/synack/web"
)

// defaultAddr is where the server listens without -addr, SYNACK_ADDR or
// PORT.
const defaultAddr = ":8080"

// options is the program's configuration, from the command line and the
// environment.
type options struct {
	addr        string
	logLevel    slog.Level
	logFormat   logFormat
	debugAddr   string
	healthcheck bool
	version     bool
	proxy       web.ProxyConfig
	maxConns    int
	// sessionsPerClient is web.LiveConfig.MaxSessionsPerClient; 0 takes
	// its default.
	sessionsPerClient int
	kernelPeer        bool
	natsURL           string
}

// defaultMaxConns is -max-conns's default: the 2,000 live sessions and as
// many HTTP connections.
const defaultMaxConns = 4000

// parseOptions reads the flags from args, then, for every flag args do not
// set, the environment variable SYNACK_<FLAG> (the command line wins); then
// PORT when neither set the address.
func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{logFormat: "text"}
	flags := flag.NewFlagSet("server", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.StringVar(&o.addr, "addr", defaultAddr, "`host:port` to listen on (else SYNACK_ADDR, else :$PORT)")
	flags.TextVar(&o.logLevel, "log-level", slog.LevelInfo, "log `level`: debug, info, warn or error")
	flags.Var(&o.logFormat, "log-format", "log `format`: text (key=value lines) or json (one object a line)")
	flags.StringVar(&o.debugAddr, "debug-addr", "", "also serve expvar and pprof on `host:port` (default off; keep it private)")
	flags.BoolVar(&o.kernelPeer, "kernel-peer", false, "offer this machine's Linux kernel as the server of a scenario on the app page (needs root; docs/kernel-peer.md)")
	flags.StringVar(&o.natsURL, "nats-url", "", "share classroom rooms across every instance connected to the NATS server at `nats://host:port` (default: rooms live in this process)")
	flags.BoolVar(&o.healthcheck, "healthcheck", false, "check the health of the server at the address it would listen on and exit")
	flags.BoolVar(&o.version, "version", false, "print the version and exit")
	flags.IntVar(&o.maxConns, "max-conns", defaultMaxConns, "most `connections` open at once; more wait to be accepted")
	flags.IntVar(&o.sessionsPerClient, "max-sessions-per-client", 0, "most live `sessions` (room viewers included) of one client address (default 200, a tenth of all)")
	flags.Func("public-url", "the `URL` users reach the server at, for room links, QR codes, embed snippets and the WebSocket origin check (default: each request's own host)",
		func(s string) (err error) {
			o.proxy.PublicURL, err = web.ParsePublicURL(s)
			return err
		})
	flags.Func("allowed-origins", "further `origins` (comma-separated) whose pages may open live sessions, such as a course site that embeds synack",
		func(s string) (err error) {
			o.proxy.AllowedOrigins, err = web.ParseOrigins(s)
			return err
		})
	flags.Func("trusted-proxies", "`networks` (comma-separated CIDR or addresses) whose X-Forwarded-For, -Proto and -Host are believed",
		func(s string) (err error) {
			o.proxy.TrustedProxies, err = web.ParsePrefixes(s)
			return err
		})
	if err := flags.Parse(args); err != nil {
		return nil, err
	}
	if flags.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", flags.Args())
	}

	set := map[string]bool{}
	flags.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var envErr error
	flags.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		v := getenv(name)
		if set[f.Name] || v == "" || envErr != nil {
			return
		}
		if err := flags.Set(f.Name, v); err != nil {
			envErr = fmt.Errorf("%s=%q: %w", name, v, err)
			return
		}
		set[f.Name] = true
	})
	if envErr != nil {
		return nil, envErr
	}
	if o.maxConns < 1 {
		return nil, fmt.Errorf("-max-conns: must be at least 1, not %d", o.maxConns)
	}
	if port := getenv("PORT"); port != "" && !set["addr"] {
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
			return nil, fmt.Errorf("PORT=%q is not a port number", port)
		}
		o.addr = ":" + port
	}
	return o, nil
}

// envName is the environment variable of a flag: SYNACK_ and its name in
// upper case with - as _.
func envName(flagName string) string {
	return "SYNACK_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// logFormat is the -log-format flag: text or json.
type logFormat string

func (f *logFormat) String() string { return string(*f) }

func (f *logFormat) Set(s string) error {
	switch s {
	case "text", "json":
		*f = logFormat(s)
		return nil
	}
	return errors.New("must be text or json")
}

// logHandler is the slog handler of the options' format and level.
func (o *options) logHandler(w io.Writer) slog.Handler {
	ho := &slog.HandlerOptions{Level: o.logLevel}
	if o.logFormat == "json" {
		return slog.NewJSONHandler(w, ho)
	}
	return slog.NewTextHandler(w, ho)
}

// versionText is one line that says what was built: the module's version,
// the commit and its time (with "modified" when the tree had changes) and
// the Go release, from the binary's build information.
func versionText(info *debug.BuildInfo) string {
	if info == nil {
		return "synack (no build information)"
	}
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	var vcs []string
	if rev := settings["vcs.revision"]; rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		vcs = append(vcs, "commit "+rev)
	}
	if t := settings["vcs.time"]; t != "" {
		vcs = append(vcs, t)
	}
	if settings["vcs.modified"] == "true" {
		vcs = append(vcs, "modified")
	}
	out := "synack " + version
	if len(vcs) > 0 {
		out += " (" + strings.Join(vcs, ", ") + ")"
	}
	return out + ", " + info.GoVersion
}

// healthAddr is the address -healthcheck asks: the listening address, on
// loopback when it names no host or every host.
func healthAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}
