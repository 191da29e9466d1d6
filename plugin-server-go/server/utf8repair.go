package server

import (
	"log"
	"strings"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// repairUTF8 replaces invalid UTF-8 in every string field of m (recursively) with U+FFFD and
// reports whether it changed anything. proto3 string fields must be UTF-8: without this, one
// plugin that sets a header or logs a line with stray bytes would make the whole ReplyBatch fail
// to encode, and with it the Events stream and every request in flight on it. Only runs after an
// encode failed, so the common path pays nothing.
func repairUTF8(m protoreflect.Message) bool {
	changed := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				if fd.Kind() == protoreflect.StringKind {
					if s := l.Get(i).String(); !utf8.ValidString(s) {
						l.Set(i, protoreflect.ValueOfString(strings.ToValidUTF8(s, "\uFFFD")))
						changed = true
					}
				} else if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
					changed = repairUTF8(l.Get(i).Message()) || changed
				}
			}
		case fd.IsMap():
			mp := v.Map()
			type fix struct {
				k protoreflect.MapKey
				v protoreflect.Value
			}
			var fixes []fix
			var badKeys []protoreflect.MapKey
			mp.Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if fd.MapKey().Kind() == protoreflect.StringKind && !utf8.ValidString(k.String()) {
					badKeys = append(badKeys, k)
				}
				switch fd.MapValue().Kind() {
				case protoreflect.StringKind:
					if s := mv.String(); !utf8.ValidString(s) {
						fixes = append(fixes, fix{k, protoreflect.ValueOfString(strings.ToValidUTF8(s, "\uFFFD"))})
					}
				case protoreflect.MessageKind:
					changed = repairUTF8(mv.Message()) || changed
				}
				return true
			})
			for _, f := range fixes {
				mp.Set(f.k, f.v)
				changed = true
			}
			for _, k := range badKeys {
				val := mp.Get(k)
				mp.Clear(k)
				mp.Set(protoreflect.ValueOfString(strings.ToValidUTF8(k.String(), "\uFFFD")).MapKey(), val)
				changed = true
			}
		case fd.Kind() == protoreflect.StringKind:
			if s := v.String(); !utf8.ValidString(s) {
				m.Set(fd, protoreflect.ValueOfString(strings.ToValidUTF8(s, "\uFFFD")))
				changed = true
			}
		case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
			changed = repairUTF8(v.Message()) || changed
		}
		return true
	})
	return changed
}

var warnUTF8Once sync.Once

func warnRepairedUTF8() {
	warnUTF8Once.Do(func() {
		log.Printf("gantry pdk: a plugin set a string (header, path, log line, ...) that is not valid UTF-8; " +
			"invalid bytes were replaced with U+FFFD (protobuf strings must be UTF-8). Logged once.")
	})
}
