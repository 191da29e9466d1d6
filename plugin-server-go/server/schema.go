package server

import (
	"reflect"
	"strings"
)

// The config schema is derived from the config type exactly as go-pdk does, quirks included, so
// configurations that work on Kong keep their field names here:
//   - field name = the whole `json` tag when present (`json:"x,omitempty"` names it
//     "x,omitempty"), else the lower-cased Go name;
//   - kinds without a mapping (int64, int8/16, uint64, interface{}, ...) are silently omitted;
//   - no required/default/validators are emitted.

type schemaDict map[string]interface{}

type schemaTop struct {
	Name   string       `json:"name"`
	Fields []schemaDict `json:"fields"`
}

func getSchemaDict(t reflect.Type) schemaDict {
	switch t.Kind() {
	case reflect.String:
		return schemaDict{"type": "string"}
	case reflect.Bool:
		return schemaDict{"type": "boolean"}
	case reflect.Int, reflect.Int32:
		return schemaDict{"type": "integer"}
	case reflect.Uint, reflect.Uint32:
		return schemaDict{"type": "integer", "between": []int{0, 2147483648}}
	case reflect.Float32, reflect.Float64:
		return schemaDict{"type": "number"}
	case reflect.Ptr:
		return getSchemaDict(t.Elem())
	case reflect.Slice:
		elem := getSchemaDict(t.Elem())
		if elem == nil {
			break
		}
		return schemaDict{"type": "array", "elements": elem}
	case reflect.Map:
		k, v := getSchemaDict(t.Key()), getSchemaDict(t.Elem())
		if k == nil || v == nil {
			break
		}
		return schemaDict{"type": "map", "keys": k, "values": v}
	case reflect.Struct:
		fields := []schemaDict{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.PkgPath != "" { // unexported: encoding/json ignores it too
				continue
			}
			decl := getSchemaDict(f.Type)
			if decl == nil {
				continue
			}
			name := f.Tag.Get("json")
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			fields = append(fields, schemaDict{name: decl})
		}
		return schemaDict{"type": "record", "fields": fields}
	}
	return nil
}
