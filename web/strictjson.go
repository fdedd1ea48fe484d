package web

import (
	"bytes"
	"encoding/json"
)

// duplicateKey finds an object key that appears twice in the same object,
// at any depth of a JSON document: encoding/json keeps the last silently,
// which would let a command say two things at once. A document that is not
// valid JSON has none here; its decoder says what is wrong.
func duplicateKey(data []byte) (key string, found bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	key, found, _ = scanValue(dec)
	return key, found
}

// scanValue reads one value from dec; err ends the scan.
func scanValue(dec *json.Decoder) (key string, found bool, err error) {
	tok, err := dec.Token()
	if err != nil {
		return "", false, err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return "", false, err
			}
			k, _ := t.(string)
			if seen[k] {
				return k, true, nil
			}
			seen[k] = true
			if key, found, err := scanValue(dec); found || err != nil {
				return key, found, err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		for dec.More() {
			if key, found, err := scanValue(dec); found || err != nil {
				return key, found, err
			}
		}
		_, err = dec.Token()
	}
	return "", false, err
}
