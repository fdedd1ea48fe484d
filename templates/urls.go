package templates

import "net/url"

// scenarioURL is the API address of a built-in scenario.
func scenarioURL(id string) string {
	return "/api/scenarios/" + url.PathEscape(id)
}

// traceURL is the API address of a built-in scenario's trace, with an
// optional query.
func traceURL(id, query string) string {
	u := scenarioURL(id) + "/trace"
	if query != "" {
		u += "?" + query
	}
	return u
}

// embedURL is the address of a built-in scenario's embeddable view.
func embedURL(id string) string {
	return "/embed/" + url.PathEscape(id)
}

// appURL opens a built-in scenario in the app.
func appURL(id, lang string) string {
	return "/?" + url.Values{"scenario": {id}, "lang": {lang}}.Encode()
}
