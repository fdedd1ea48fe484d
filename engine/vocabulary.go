package engine

// This file is the trace's vocabulary: every value an event's kind, cause,
// reason, timer and drop_reason can take, as the JSON spells it, with the
// RFC sections or Linux functions that specify it and the catalogue keys
// (i18n/en.json, zh.json) that word it. The engine writes these values only
// through the typed constants below; the table is published to the pages
// (GET /api/vocabulary), whose explanations cite from it.

// Kind is an event's kind.
type Kind string

// Cause is what led to an event: a call's name, "segment", "timer",
// "inject" or "user".
type Cause string

// Reason names the rule behind an event; the page explains it.
type Reason string

// TimerName is a timer as the trace names it.
type TimerName string

// DropReason says why a segment was lost.
type DropReason string

// Causes besides the calls' names.
const (
	CauseSegment Cause = "segment"
	CauseTimer   Cause = "timer"
	CauseInject  Cause = "inject"
	CauseUser    Cause = "user"
	// CauseCapture is a state a capture's reader assumed rather than saw
	// (the capture package).
	CauseCapture Cause = "capture"
)

// Drop reasons.
const (
	DropFault       DropReason = "fault"
	DropUnreachable DropReason = "unreachable"
	// DropInferred is a segment a capture's reader takes for lost:
	// captured where it was sent, then sent again before anything
	// acknowledged it (the capture package).
	DropInferred DropReason = "inferred"
)

// Reasons of states a capture's reader assumes (the capture package):
// the capture starts after the state began.
const (
	ReasonCaptureListenAssumed      Reason = "capture-listen-assumed"
	ReasonCaptureEstablishedAssumed Reason = "capture-established-assumed"
	ReasonCaptureSynSentAssumed     Reason = "capture-syn-sent-assumed"
)

// Reasons: segments a connection sends.
const (
	ReasonSyn                  Reason = "syn"
	ReasonSynAck               Reason = "syn-ack"
	ReasonAck                  Reason = "ack"
	ReasonData                 Reason = "data"
	ReasonFin                  Reason = "fin"
	ReasonRetransmit           Reason = "retransmit"
	ReasonLossProbe            Reason = "loss-probe"
	ReasonSWSOverride          Reason = "sws-override"
	ReasonZeroWindowProbe      Reason = "zero-window-probe"
	ReasonWindowUpdate         Reason = "window-update"
	ReasonAbort                Reason = "abort"
	ReasonCloseWithUnreadData  Reason = "close-with-unread-data"
	ReasonAckFinInTimeWait     Reason = "ack-fin-in-time-wait"
	ReasonAckOutOfWindow       Reason = "ack-out-of-window"
	ReasonAckOfUnsent          Reason = "ack-of-unsent"
	ReasonChallengeAck         Reason = "challenge-ack"
	ReasonChallengeAckSyn      Reason = "challenge-ack-syn"
	ReasonChallengeAckOldAck   Reason = "challenge-ack-old-ack"
	ReasonRSTAckInListen       Reason = "rst-ack-in-listen"
	ReasonRSTBadAckInSynSent   Reason = "rst-bad-ack-in-syn-sent"
	ReasonRSTBadAckInSynRcvd   Reason = "rst-bad-ack-in-syn-received"
	ReasonRSTClosedPort        Reason = "rst-closed-port"
	ReasonRSTSynInWindow       Reason = "rst-syn-in-window"
	ReasonInjected             Reason = "injected"
	ReasonSynFlood             Reason = "syn-flood"
	ReasonActiveOpen           Reason = "active-open"
	ReasonPassiveOpen          Reason = "passive-open"
	ReasonSynAckReceived       Reason = "syn-ack-received"
	ReasonHandshakeComplete    Reason = "handshake-complete"
	ReasonSimultaneousOpen     Reason = "simultaneous-open"
	ReasonFinReceived          Reason = "fin-received"
	ReasonFinAcked             Reason = "fin-acked"
	ReasonSimultaneousClose    Reason = "simultaneous-close"
	ReasonConnectionRefused    Reason = "connection-refused"
	ReasonConnectionReset      Reason = "connection-reset"
	ReasonRSTInSynReceived     Reason = "rst-in-syn-received"
	ReasonRSTInTimeWait        Reason = "rst-in-time-wait"
	ReasonRSTWhileClosing      Reason = "rst-while-closing"
	ReasonRetriesExhausted     Reason = "retries-exhausted"
	ReasonOutOfWindow          Reason = "out-of-window"
	ReasonSynInWindow          Reason = "syn-in-window"
	ReasonSynInSynReceived     Reason = "syn-in-syn-received"
	ReasonSynRetransmitted     Reason = "syn-retransmitted"
	ReasonFinRetransmittedInTW Reason = "fin-retransmitted-in-time-wait"
	ReasonDataAfterClose       Reason = "data-after-close"
	ReasonSynDroppedBacklog    Reason = "syn-dropped-backlog-full"
	ReasonRSTIgnoredRFC1337    Reason = "rst-ignored-rfc1337"
	ReasonSynQueueEntryExpired Reason = "syn-queue-entry-expired"
	ReasonDroppedInFlight      Reason = "dropped-in-flight"
	ReasonListenerClosed       Reason = "listener-closed"
	ReasonDataInTimeWait       Reason = "data-in-time-wait"
	ReasonRSTInOrphanFinWait2  Reason = "rst-in-orphaned-fin-wait-2"
	ReasonSynInOrphanFinWait2  Reason = "syn-in-orphaned-fin-wait-2"
	ReasonSynReopensTimeWait   Reason = "syn-reopens-time-wait"
)

// Field is a part of an event whose values come from the vocabulary.
type Field string

// The fields, as the trace JSON names them.
const (
	FieldKind       Field = "kind"
	FieldCause      Field = "cause"
	FieldReason     Field = "reason"
	FieldTimer      Field = "timer"
	FieldDropReason Field = "drop_reason"
)

// Cite is where a value is specified: a section of an RFC, or a Linux
// kernel function or sysctl.
type Cite struct {
	RFC     int    `json:"rfc,omitempty"`
	Section string `json:"section,omitempty"`
	// Kernel is a function of the Linux source, Sysctl a net.ipv4 setting.
	Kernel string `json:"kernel,omitempty"`
	Sysctl string `json:"sysctl,omitempty"`
}

// Term is one value of the vocabulary.
type Term struct {
	Field Field  `json:"field"`
	Name  string `json:"name"` // the value as the trace JSON spells it
	Cites []Cite `json:"cites"`
	// Words are the catalogue keys that word the value.
	Words []string `json:"words"`
}

func rfc(n int, section string) Cite { return Cite{RFC: n, Section: section} }
func kernel(fn string) Cite          { return Cite{Kernel: fn} }
func sysctl(name string) Cite        { return Cite{Sysctl: name} }

func reason(name Reason, cites ...Cite) Term {
	return Term{Field: FieldReason, Name: string(name), Cites: cites, Words: []string{"why." + string(name)}}
}

// captureReason is a reason only a capture's reader writes; the capture
// page words it.
func captureReason(name Reason, cites ...Cite) Term {
	return Term{Field: FieldReason, Name: string(name), Cites: cites, Words: []string{"capture.reason." + string(name)}}
}

func timerTerm(t timer, cites ...Cite) Term {
	n := string(t.name())
	return Term{Field: FieldTimer, Name: n, Cites: cites, Words: []string{"timer." + n, "explain.timer." + n, "ladder.timer." + n}}
}

func callTerm(call string, cites ...Cite) Term {
	return Term{Field: FieldCause, Name: call, Cites: cites, Words: []string{"call." + call, "explain.call." + call}}
}

// vocabulary is the table. A test checks that every value has a citation
// and words in every language, and that runs use no value outside it.
var vocabulary = []Term{
	{Field: FieldKind, Name: string(KindCall), Cites: []Cite{rfc(9293, "3.10")}, Words: []string{"kind.call"}},
	{Field: FieldKind, Name: string(KindState), Cites: []Cite{rfc(9293, "3.3.2")}, Words: []string{"kind.state"}},
	{Field: FieldKind, Name: string(KindSegment), Cites: []Cite{rfc(9293, "3.1")}, Words: []string{"kind.segment"}},
	{Field: FieldKind, Name: string(KindTimer), Cites: []Cite{rfc(9293, "3.8.1"), rfc(6298, "5")}, Words: []string{"kind.timer"}},
	{Field: FieldKind, Name: string(KindNote), Cites: []Cite{rfc(9293, "3.10.7")}, Words: []string{"kind.note"}},
	{Field: FieldKind, Name: string(KindDrop), Cites: []Cite{rfc(6298, "5")}, Words: []string{"kind.drop", "explain.lost"}},

	callTerm(CallListen, rfc(9293, "3.10.1")),
	callTerm(CallConnect, rfc(9293, "3.10.1")),
	callTerm(CallSend, rfc(9293, "3.10.2")),
	callTerm(CallReceive, rfc(9293, "3.10.3")),
	callTerm(CallShutdown, rfc(9293, "3.6.1")),
	callTerm(CallClose, rfc(9293, "3.10.4")),
	callTerm(CallAbort, rfc(9293, "3.10.5"), kernel("tcp_disconnect")),
	{Field: FieldCause, Name: string(CauseSegment), Cites: []Cite{rfc(9293, "3.10.7")}, Words: []string{"cause.segment"}},
	{Field: FieldCause, Name: string(CauseTimer), Cites: []Cite{rfc(9293, "3.10.8")}, Words: []string{"cause.timer"}},
	{Field: FieldCause, Name: string(CauseInject), Cites: []Cite{rfc(9293, "3.5.3")}, Words: []string{"cause.inject", "why.injected"}},
	{Field: FieldCause, Name: string(CauseUser), Cites: []Cite{rfc(6298, "5")}, Words: []string{"cause.user", "why.dropped-in-flight"}},
	{Field: FieldCause, Name: string(CauseKernel), Cites: []Cite{rfc(9293, "3.10.7")}, Words: []string{"cause.kernel"}},
	{Field: FieldCause, Name: string(CauseCapture), Cites: []Cite{rfc(9293, "3.3.2")}, Words: []string{"capture.inferred_note"}},

	timerTerm(timerLossProbe, rfc(8985, "7.2"), kernel("tcp_schedule_loss_probe")),
	timerTerm(timerRetransmit, rfc(6298, "5"), rfc(9293, "3.8.1")),
	timerTerm(timerDelayedAck, rfc(9293, "3.8.6.3"), rfc(1122, "4.2.3.2")),
	timerTerm(timerTimeWait, rfc(9293, "3.10.8"), rfc(9293, "3.4.2")),
	timerTerm(timerFinWait2, sysctl("tcp_fin_timeout")),
	timerTerm(timerPersist, rfc(9293, "3.8.6.1"), rfc(9293, "3.8.6.2.1")),

	{Field: FieldDropReason, Name: string(DropFault), Cites: []Cite{rfc(6298, "5")}, Words: []string{"explain.lost", "ladder.tag.lost"}},
	{Field: FieldDropReason, Name: string(DropUnreachable), Cites: []Cite{rfc(4987, "2")}, Words: []string{"explain.unreachable", "ladder.tag.unreachable"}},
	{Field: FieldDropReason, Name: string(DropInferred), Cites: []Cite{rfc(6298, "5"), rfc(9293, "3.8.1")}, Words: []string{"ladder.tag.lost", "capture.inferred_note"}},

	captureReason(ReasonCaptureListenAssumed, rfc(9293, "3.10.7.2")),
	captureReason(ReasonCaptureEstablishedAssumed, rfc(9293, "3.3.2")),
	captureReason(ReasonCaptureSynSentAssumed, rfc(9293, "3.10.7.3")),

	reason(ReasonSyn, rfc(9293, "3.5"), rfc(9293, "3.4.1")),
	reason(ReasonSynAck, rfc(9293, "3.5"), rfc(9293, "3.10.7.2")),
	reason(ReasonAck, rfc(9293, "3.8.6.3"), rfc(1122, "4.2.3.2")),
	reason(ReasonData, rfc(9293, "3.10.2"), rfc(9293, "3.8.6.2.1")),
	reason(ReasonFin, rfc(9293, "3.10.4"), rfc(9293, "3.6")),
	reason(ReasonRetransmit, rfc(6298, "5"), rfc(9293, "3.8.1")),
	reason(ReasonLossProbe, rfc(8985, "7.2"), rfc(8985, "7.3"), kernel("tcp_send_loss_probe")),
	reason(ReasonSWSOverride, rfc(9293, "3.8.6.2.1"), kernel("tcp_write_wakeup")),
	reason(ReasonZeroWindowProbe, rfc(9293, "3.8.6.1"), kernel("tcp_xmit_probe_skb")),
	reason(ReasonWindowUpdate, rfc(9293, "3.8.6.2.2"), kernel("tcp_cleanup_rbuf")),
	reason(ReasonAbort, rfc(9293, "3.10.5"), kernel("tcp_send_active_reset")),
	reason(ReasonCloseWithUnreadData, rfc(1122, "4.2.2.13"), kernel("tcp_close")),
	reason(ReasonAckFinInTimeWait, rfc(9293, "3.10.7.4")),
	reason(ReasonAckOutOfWindow, rfc(9293, "3.10.7.4")),
	reason(ReasonAckOfUnsent, rfc(9293, "3.10.7.4")),
	reason(ReasonChallengeAck, rfc(5961, "3.2"), rfc(9293, "3.10.7.4")),
	reason(ReasonChallengeAckSyn, rfc(5961, "4.2"), rfc(9293, "3.10.7.4")),
	reason(ReasonChallengeAckOldAck, rfc(5961, "5.2"), kernel("tcp_ack")),
	reason(ReasonRSTAckInListen, rfc(9293, "3.10.7.2"), rfc(9293, "3.5.2")),
	reason(ReasonRSTBadAckInSynSent, rfc(9293, "3.10.7.3"), rfc(9293, "3.5.2")),
	reason(ReasonRSTBadAckInSynRcvd, rfc(9293, "3.10.7.4"), rfc(9293, "3.5.2")),
	reason(ReasonRSTClosedPort, rfc(9293, "3.10.7.1"), rfc(9293, "3.5.2")),
	reason(ReasonRSTSynInWindow, rfc(793, "3.9")),
	reason(ReasonInjected, rfc(9293, "3.5.3")),
	reason(ReasonSynFlood, rfc(4987, "2")),
	reason(ReasonActiveOpen, rfc(9293, "3.10.1")),
	reason(ReasonPassiveOpen, rfc(9293, "3.10.7.2")),
	reason(ReasonSynAckReceived, rfc(9293, "3.10.7.3")),
	reason(ReasonHandshakeComplete, rfc(9293, "3.10.7.4")),
	reason(ReasonSimultaneousOpen, rfc(9293, "3.5"), rfc(9293, "3.10.7.3")),
	reason(ReasonFinReceived, rfc(9293, "3.10.7.4")),
	reason(ReasonFinAcked, rfc(9293, "3.10.7.4")),
	reason(ReasonSimultaneousClose, rfc(9293, "3.6")),
	reason(ReasonConnectionRefused, rfc(9293, "3.10.7.3"), rfc(9293, "3.5.3"), kernel("tcp_reset")),
	reason(ReasonConnectionReset, rfc(9293, "3.10.7.4"), rfc(9293, "3.5.3")),
	reason(ReasonRSTInSynReceived, rfc(9293, "3.10.7.4"), rfc(9293, "3.5.3")),
	reason(ReasonRSTInTimeWait, rfc(9293, "3.10.7.4"), rfc(1337, "2")),
	reason(ReasonRSTWhileClosing, rfc(9293, "3.10.7.4")),
	reason(ReasonRetriesExhausted, rfc(9293, "3.8.3"), rfc(1122, "4.2.3.5")),
	reason(ReasonOutOfWindow, rfc(9293, "3.10.7.4")),
	reason(ReasonSynInWindow, rfc(793, "3.9")),
	reason(ReasonSynInSynReceived, rfc(9293, "3.10.7.4"), kernel("tcp_check_req")),
	reason(ReasonSynRetransmitted, kernel("tcp_check_req")),
	reason(ReasonFinRetransmittedInTW, rfc(9293, "3.10.7.4")),
	reason(ReasonDataAfterClose, rfc(9293, "3.6"), kernel("tcp_rcv_state_process")),
	reason(ReasonSynDroppedBacklog, rfc(4987, "2"), rfc(4987, "3.2")),
	reason(ReasonRSTIgnoredRFC1337, rfc(1337, "3"), sysctl("tcp_rfc1337")),
	reason(ReasonSynQueueEntryExpired, sysctl("tcp_synack_retries"), kernel("reqsk_timer_handler")),
	reason(ReasonDroppedInFlight, rfc(6298, "5")),
	reason(ReasonKernel, rfc(9293, "3.10.7")),
	reason(ReasonDataInTimeWait, kernel("tcp_timewait_state_process")),
	reason(ReasonSynReopensTimeWait, kernel("tcp_timewait_state_process"), kernel("tcp_conn_request")),
	reason(ReasonRSTInOrphanFinWait2, kernel("tcp_timewait_state_process"), rfc(5961, "3.2")),
	reason(ReasonSynInOrphanFinWait2, kernel("tcp_timewait_state_process"), rfc(5961, "4.2")),
	reason(ReasonListenerClosed, kernel("inet_csk_listen_stop"), rfc(9293, "3.10.4")),
	// A timer that fires names itself as the reason of what it causes.
	reason(Reason(timerTimeWait.name()), rfc(9293, "3.10.8"), rfc(9293, "3.6")),
	reason(Reason(timerFinWait2.name()), sysctl("tcp_fin_timeout")),
	reason(Reason(timerDelayedAck.name()), rfc(9293, "3.8.6.3")),
	reason(Reason(timerPersist.name()), rfc(9293, "3.8.6.1")),
}

// Vocabulary returns the table: every value of every field, with its
// citations and catalogue keys.
func Vocabulary() []Term { return vocabulary }

// InVocabulary reports whether name is a value of field.
func InVocabulary(field Field, name string) bool {
	for _, t := range vocabulary {
		if t.Field == field && t.Name == name {
			return true
		}
	}
	return false
}
