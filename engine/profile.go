package engine

import "time"

// Profiles.
const (
	ProfileLinux = "linux"
	ProfileRFC   = "rfc"
)

// Config is a profile with a scenario's options applied: every setting that
// makes one TCP implementation differ from another.
type Config struct {
	Profile string

	// DelayedAck delays the ACK of received data and of a FIN by
	// DelayedAckTime, so that it can ride on the reply (RFC 9293 3.8.6.3).
	DelayedAck     bool
	DelayedAckTime time.Duration
	// MSL is the maximum segment lifetime; TIME-WAIT lasts 2*MSL.
	MSL time.Duration
	// MTU of the path; the MSS option is MTU-40.
	MTU int
	// RcvBuf is the receive window offered on the SYN (before scaling).
	RcvBuf int

	RTOInitial time.Duration
	RTOMin     time.Duration
	RTOMax     time.Duration
	// SynRetries, SynAckRetries and Retries2 bound retransmissions of a SYN,
	// a SYN,ACK, and anything else (RFC 9293 3.8.3's R2, as a count).
	SynRetries    int
	SynAckRetries int
	Retries2      int
	// SynLinearTimeouts is how many SYN retransmissions keep the initial RTO
	// before exponential backoff starts (Linux tcp_syn_linear_timeouts).
	SynLinearTimeouts int
	// OrphanRetries bounds the retransmissions of a connection the
	// application has closed (Linux tcp_orphan_retries: 0 means 8).
	OrphanRetries int
	// FinTimeout ends an orphaned connection (closed by the application)
	// that waits in FIN-WAIT-2 (Linux tcp_fin_timeout); 0 waits forever.
	FinTimeout time.Duration
	Backlog    int
	// RFC1337 ignores RST in TIME-WAIT instead of closing.
	RFC1337 bool
	// ChallengeAck validates RST and SYN segments as RFC 5961 (and RFC 9293
	// 3.10.7.4) say: only an exact RST resets, others get a challenge ACK.
	ChallengeAck  bool
	Timestamps    bool
	SACK          bool
	WindowScaling bool
	// WindowScale is the shift offered when WindowScaling is on.
	WindowScale uint8
	// Behaviours are the profile's rules that no option chooses.
	Behaviours
	// FineClock is the ISN clock tick: 4 µs in RFC 9293, 64 ns in Linux.
	ISNTick time.Duration
}

// Profile returns the defaults of a named profile.
func Profile(name string) (Config, error) {
	switch name {
	case "", ProfileLinux:
		return Config{
			Profile:           ProfileLinux,
			DelayedAck:        true,
			DelayedAckTime:    40 * time.Millisecond,
			MSL:               30 * time.Second,
			MTU:               65536, // loopback: the contract's "Linux on loopback"
			RcvBuf:            65535,
			RTOInitial:        time.Second,
			RTOMin:            200 * time.Millisecond,
			RTOMax:            120 * time.Second,
			SynRetries:        6,
			SynAckRetries:     5,
			Retries2:          15,
			SynLinearTimeouts: 4,
			OrphanRetries:     8,
			FinTimeout:        60 * time.Second,
			Backlog:           128,
			ChallengeAck:      true,
			Timestamps:        true,
			SACK:              true,
			WindowScaling:     true,
			WindowScale:       10,
			Behaviours:        linuxBehaviours(),
			ISNTick:           64 * time.Nanosecond,
		}, nil
	case ProfileRFC:
		return Config{
			Profile:        ProfileRFC,
			DelayedAckTime: 200 * time.Millisecond,
			MSL:            2 * time.Minute,
			MTU:            1500,
			RcvBuf:         65535,
			RTOInitial:     time.Second,
			RTOMin:         time.Second,
			RTOMax:         60 * time.Second,
			SynRetries:     7,
			SynAckRetries:  7,
			Retries2:       6,
			OrphanRetries:  6,
			Backlog:        128,
			ChallengeAck:   true,
			ISNTick:        4 * time.Microsecond,
			Behaviours:     rfcBehaviours(),
		}, nil
	}
	return Config{}, oneOfErr("profile", []string{ProfileLinux, ProfileRFC}, name)
}

type intOption struct {
	name     string
	v        *int64
	min, max int64
	set      func(c *Config, v int64)
}

func ms(v int64) time.Duration { return time.Duration(v) * time.Millisecond }

func (o *Options) ints() []intOption {
	return []intOption{
		{"delayed_ack_ms", o.DelayedAckMs, 1, 500, func(c *Config, v int64) { c.DelayedAckTime = ms(v) }},
		{"msl_ms", o.MSLMs, 1, 600_000, func(c *Config, v int64) { c.MSL = ms(v) }},
		{"mtu", o.MTU, 68, 65536, func(c *Config, v int64) { c.MTU = int(v) }},
		{"rcv_buf", o.RcvBuf, 1, 1 << 30, func(c *Config, v int64) { c.RcvBuf = int(v) }},
		{"rto_initial_ms", o.RTOInitialMs, 1, 120_000, func(c *Config, v int64) { c.RTOInitial = ms(v) }},
		{"rto_min_ms", o.RTOMinMs, 1, 120_000, func(c *Config, v int64) { c.RTOMin = ms(v) }},
		{"rto_max_ms", o.RTOMaxMs, 1, 600_000, func(c *Config, v int64) { c.RTOMax = ms(v) }},
		{"syn_retries", o.SynRetries, 0, 20, func(c *Config, v int64) { c.SynRetries = int(v) }},
		{"synack_retries", o.SynAckRetries, 0, 20, func(c *Config, v int64) { c.SynAckRetries = int(v) }},
		{"retries2", o.Retries2, 0, 20, func(c *Config, v int64) { c.Retries2 = int(v) }},
		{"syn_linear_timeouts", o.SynLinearTimeouts, 0, 20, func(c *Config, v int64) { c.SynLinearTimeouts = int(v) }},
		{"orphan_retries", o.OrphanRetries, 0, 20, func(c *Config, v int64) { c.OrphanRetries = int(v) }},
		{"fin_timeout_ms", o.FinTimeoutMs, 0, 600_000, func(c *Config, v int64) { c.FinTimeout = ms(v) }},
		{"backlog", o.Backlog, 0, 1000, func(c *Config, v int64) { c.Backlog = int(v) }},
	}
}

func (o *Options) bools() []struct {
	name string
	v    *bool
	set  func(c *Config, v bool)
} {
	return []struct {
		name string
		v    *bool
		set  func(c *Config, v bool)
	}{
		{"rfc1337", o.RFC1337, func(c *Config, v bool) { c.RFC1337 = v }},
		{"timestamps", o.Timestamps, func(c *Config, v bool) { c.Timestamps = v }},
		{"sack", o.SACK, func(c *Config, v bool) { c.SACK = v }},
		{"window_scaling", o.WindowScaling, func(c *Config, v bool) { c.WindowScaling = v }},
		{"challenge_ack", o.ChallengeAck, func(c *Config, v bool) { c.ChallengeAck = v }},
		{"delayed_ack", o.DelayedAck, func(c *Config, v bool) { c.DelayedAck = v }},
	}
}

func (o *Options) validate() error {
	for _, opt := range o.ints() {
		if opt.v != nil && (*opt.v < opt.min || *opt.v > opt.max) {
			return rangeErr("options."+opt.name, opt.min, opt.max)
		}
	}
	return nil
}

// Config resolves the scenario's profile and options.
func (sc *Scenario) Config() (Config, error) {
	c, err := Profile(sc.Profile)
	if err != nil || sc.Options == (Options{}) {
		return c, err
	}
	for _, opt := range sc.Options.ints() {
		if opt.v != nil {
			opt.set(&c, *opt.v)
		}
	}
	for _, opt := range sc.Options.bools() {
		if opt.v != nil {
			opt.set(&c, *opt.v)
		}
	}
	if c.RTOMin > c.RTOMax {
		return c, fieldErr("options.rto_min_ms", "rto-min-max", nil, "must not exceed rto_max_ms")
	}
	return c, nil
}

// MSS is the maximum segment size this configuration announces.
func (c *Config) MSS() int { return min(c.MTU-40, maxMSS) }

// maxMSS is the largest MSS an IPv4 packet can carry: 65535 less 40 bytes of
// headers (Linux clamps loopback's 65536-byte MTU to it).
const maxMSS = 65495
