package lessons

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/synack/synack/engine"
)

// This file decodes lesson JSON strictly: every object is read key by key,
// so that an unknown key, a key given twice, a missing required field or a
// value of the wrong type is an error naming its field with a full path
// such as "steps[3].question.answer". encoding/json alone would accept keys
// in any letter case, keep the last of two equal keys and name fields only
// by their Go names.

// fieldError returns the engine's field error, so that the web layer
// answers a bad lesson as it answers a bad scenario.
func fieldError(field, format string, args ...any) error {
	return &engine.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// join appends a key to a field path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// object is one JSON object being decoded: its values by key, in document
// order, and the keys the decoder has taken.
type object struct {
	path   string
	keys   []string
	fields map[string]json.RawMessage
	taken  map[string]bool
}

// decodeObject reads raw as an object. raw must be valid JSON, as every
// value below a document that json.Valid accepted is.
func decodeObject(raw json.RawMessage, path string) (*object, error) {
	if kind := jsonKind(raw); kind != "an object" {
		return nil, fieldError(path, "must be an object, not %s", kind)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // '{'
		return nil, fieldError(path, "invalid JSON: %v", err)
	}
	o := &object{path: path, fields: map[string]json.RawMessage{}, taken: map[string]bool{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fieldError(path, "invalid JSON: %v", err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fieldError(join(path, key), "invalid JSON: %v", err)
		}
		if _, dup := o.fields[key]; dup {
			return nil, fieldError(join(path, key), "appears twice")
		}
		o.keys = append(o.keys, key)
		o.fields[key] = v
	}
	return o, nil
}

// field returns the path of one of the object's keys.
func (o *object) field(key string) string { return join(o.path, key) }

// has reports whether key is present.
func (o *object) has(key string) bool {
	_, ok := o.fields[key]
	return ok
}

// take returns the value of key and marks it as known. A missing required
// key is an error.
func (o *object) take(key string, required bool) (json.RawMessage, bool, error) {
	o.taken[key] = true
	v, ok := o.fields[key]
	if !ok && required {
		return nil, false, fieldError(o.field(key), "is required")
	}
	return v, ok, nil
}

// finish reports the first key that no decoder took.
func (o *object) finish(known string) error {
	for _, key := range o.keys {
		if !o.taken[key] {
			return fieldError(o.field(key), "unknown field (known here: %s)", known)
		}
	}
	return nil
}

// str reads a string field; absent optional fields are "".
func (o *object) str(key string, required bool) (string, error) {
	raw, ok, err := o.take(key, required)
	if err != nil || !ok {
		return "", err
	}
	return decodeString(raw, o.field(key))
}

// integer reads a whole number in [lo, hi].
func (o *object) integer(key string, required bool, lo, hi int64) (int64, bool, error) {
	raw, ok, err := o.take(key, required)
	if err != nil || !ok {
		return 0, false, err
	}
	n, err := decodeInt(raw, o.field(key), lo, hi)
	return n, err == nil, err
}

// boolean reads true or false; absent is nil.
func (o *object) boolean(key string) (*bool, error) {
	raw, ok, err := o.take(key, false)
	if err != nil || !ok {
		return nil, err
	}
	if kind := jsonKind(raw); kind != "true or false" {
		return nil, fieldError(o.field(key), "must be true or false, not %s", kind)
	}
	b := bytes.Equal(bytes.TrimSpace(raw), []byte("true"))
	return &b, nil
}

// text reads a required {en, zh} pair; both must say something.
func (o *object) text(key string) (engine.Text, error) {
	raw, _, err := o.take(key, true)
	if err != nil {
		return engine.Text{}, err
	}
	return decodeText(raw, o.field(key))
}

// array reads an array field into its elements.
func (o *object) array(key string, required bool, limit int) ([]json.RawMessage, bool, error) {
	raw, ok, err := o.take(key, required)
	if err != nil || !ok {
		return nil, false, err
	}
	items, err := decodeArray(raw, o.field(key), limit)
	return items, err == nil, err
}

func decodeString(raw json.RawMessage, path string) (string, error) {
	if kind := jsonKind(raw); kind != "a string" {
		return "", fieldError(path, "must be a string, not %s", kind)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fieldError(path, "invalid string: %v", err)
	}
	return s, nil
}

func decodeInt(raw json.RawMessage, path string, lo, hi int64) (int64, error) {
	if kind := jsonKind(raw); kind != "a number" {
		return 0, fieldError(path, "must be a whole number, not %s", kind)
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		return 0, fieldError(path, "must be a whole number from %d to %d, not %s", lo, hi, bytes.TrimSpace(raw))
	}
	return int64(f), nil
}

func decodeText(raw json.RawMessage, path string) (engine.Text, error) {
	o, err := decodeObject(raw, path)
	if err != nil {
		return engine.Text{}, err
	}
	var t engine.Text
	for _, lang := range []struct {
		key string
		to  *string
	}{{"en", &t.EN}, {"zh", &t.ZH}} {
		s, err := o.str(lang.key, true)
		if err != nil {
			return engine.Text{}, err
		}
		if strings.TrimSpace(s) == "" {
			return engine.Text{}, fieldError(o.field(lang.key), "must not be empty")
		}
		*lang.to = s
	}
	return t, o.finish("en, zh")
}

func decodeArray(raw json.RawMessage, path string, limit int) ([]json.RawMessage, error) {
	if kind := jsonKind(raw); kind != "an array" {
		return nil, fieldError(path, "must be an array, not %s", kind)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fieldError(path, "invalid array: %v", err)
	}
	if len(items) > limit {
		return nil, fieldError(path, "at most %d elements, got %d", limit, len(items))
	}
	return items, nil
}

// jsonKind names the kind of a JSON value as an error message says it.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "true or false"
	case 'n':
		return "null"
	}
	return "a number"
}
