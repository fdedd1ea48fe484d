// Package templates holds synack's HTML pages as templ components
// (*.templ, with the generated *_templ.go committed beside them). Every
// string a person reads comes from the i18n catalogue of the page's
// language; the components only arrange it.
package templates
