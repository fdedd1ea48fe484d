package templates

import (
	"encoding/json"

	"github.com/synack/synack/i18n"
)

// Assets are the URLs of the static files a page links to, all
// content-hashed so that they can be cached for a year.
type Assets struct {
	Stylesheet string
	Icon       string
	// LadderStylesheet is the diagram's own style sheet.
	LadderStylesheet string
	// Boot is a small classic script that applies the reader's saved
	// display preferences (theme, projector mode) before the first paint.
	Boot string
	// App is the ES module that starts the page; it imports the other
	// modules by their plain relative names.
	App string
	// Preload are the modules App imports (directly or not), as its imports
	// name them: the page preloads them all at once, so that the diagram
	// is drawn one round trip after the page rather than one per level of
	// imports.
	Preload []string
	// Editor is the scenario editor's module, EditorStylesheet its styles.
	Editor           string
	EditorStylesheet string
}

// Text is a string in every language, as scenarios carry their titles.
type Text struct {
	EN string `json:"en"`
	ZH string `json:"zh"`
}

// In returns the text in lang, English when lang has none.
func (t Text) In(lang string) string {
	if lang == i18n.ZH && t.ZH != "" {
		return t.ZH
	}
	return t.EN
}

// ScenarioInfo is one built-in scenario as the app's picker offers it, in
// every language so that the page can switch language without a reload.
type ScenarioInfo struct {
	ID      string `json:"id"`
	Title   Text   `json:"title"`
	Summary Text   `json:"summary"`
	// Events is how many events its run has, for progress shown as "step n
	// of m"; 0 when unknown.
	Events int `json:"events,omitempty"`
}

// Sandbox is the id of the app's interactive mode: a run without steps in
// which the reader makes the socket calls.
const Sandbox = "sandbox"

// Custom is the id of a scenario the page carries whole (Config.Custom): a
// shared link's or a lesson's.
const Custom = "custom"

// Modes of the app's script.
const (
	ModeApp   = "app"
	ModeEmbed = "embed"
)

// Config is what the page's script starts from, passed as JSON.
type Config struct {
	Mode string `json:"mode"`
	Lang string `json:"lang"`
	// Scenario is the id to load first: a built-in or Sandbox.
	Scenario  string         `json:"scenario"`
	Scenarios []ScenarioInfo `json:"scenarios"`
	// Autoplay starts playing once loaded (embed only).
	Autoplay bool `json:"autoplay,omitempty"`
	// Speed is the initial speed: a pace ("teaching", "fast"), a number
	// (virtual ms per real ms) or "max"; nil for the default.
	Speed any `json:"speed,omitempty"`
	// ParentOrigin is the exact origin an embedded page reports its height
	// and progress to; empty to fall back to the referrer's origin.
	ParentOrigin string `json:"parentOrigin,omitempty"`
	// KernelPeer offers the real kernel as the server (-kernel-peer);
	// OnKernel says this page runs its scenarios against it.
	KernelPeer bool `json:"kernelPeer,omitempty"`
	OnKernel   bool `json:"onKernel,omitempty"`
	// KernelRole is the endpoint the kernel takes on such a page: "server"
	// (?peer=kernel) or "client" (?peer=kernel-client).
	KernelRole string `json:"kernelRole,omitempty"`
	// Custom is the scenario object to load when Scenario is Custom.
	Custom any `json:"custom,omitempty"`
	// OpenURL is where an embed's "open in synack" link goes when it is not
	// the app page of Scenario.
	OpenURL string `json:"openURL,omitempty"`
	// From and To bound what an embed plays, in event numbers from 1: it
	// opens with the events before From shown and stops after To; 0 for no
	// bound.
	From int `json:"from,omitempty"`
	To   int `json:"to,omitempty"`
	// Reveal is RevealProgressive when the ladder starts empty and is drawn
	// as the run plays; empty for the whole ladder at first paint.
	Reveal string `json:"reveal,omitempty"`
	// Plan is the whole run of Scenario, with the fields the diagram draws
	// ({"endpoints", "events"} as a trace has them), so that the page draws
	// the complete ladder before any click; the live session then walks
	// through it. Absent when the page reveals the run as it plays (a lesson,
	// a room viewer, ?reveal=progressive, a run too long to carry).
	Plan json.RawMessage `json:"plan,omitempty"`
	// Bilingual holds the few messages the script needs in both languages
	// whatever the page's (the page carries only its own catalogue).
	Bilingual map[string]Text `json:"bilingual,omitempty"`
	// PublicURL is the origin links to this server are written with
	// (-public-url); "" for the page's own.
	PublicURL string `json:"publicURL,omitempty"`
	// LANURL is the server's address on the local network, offered to a
	// presenter whose page is on localhost (links to localhost do not open
	// on students' devices); "" otherwise.
	LANURL string `json:"lanURL,omitempty"`
	// OEmbed is the page's oEmbed discovery address (the endpoint with
	// the page's own address), for its <link>; "" when the page cannot be
	// embedded. Not passed to the script.
	OEmbed string `json:"-"`
}

// RevealProgressive is the reveal query parameter's value that starts the
// ladder empty and draws it as the run plays.
const RevealProgressive = "progressive"

// scenarioTitle is the title of id in lang, or id itself when the list
// does not hold it.
func scenarioTitle(list []ScenarioInfo, id, lang string) string {
	for _, sc := range list {
		if sc.ID == id {
			return sc.Title.In(lang)
		}
	}
	return id
}

// scenarioSummary is like scenarioTitle for the summary.
func scenarioSummary(list []ScenarioInfo, id, lang string) string {
	for _, sc := range list {
		if sc.ID == id {
			return sc.Summary.In(lang)
		}
	}
	return ""
}
