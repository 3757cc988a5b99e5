package manifest

import "bytes"

// Document is one YAML document of a stream.
type Document struct {
	// Data is the document's text, starting at its "---" line if it has one.
	Data []byte
	// Line is the 1-based line of Data's first line in the stream.
	Line int
	// Index counts documents in the stream from 0, empty ones included.
	Index int
}

var bom = []byte("\xef\xbb\xbf")

// Split cuts a YAML stream into documents at "---" and "..." marker lines,
// without parsing it. YAML forbids these markers inside any scalar at the
// start of a line, so a line-based cut is exact. Directives ("%YAML") stay
// with the document they precede.
func Split(data []byte) []Document {
	data = bytes.TrimPrefix(data, bom)
	var docs []Document
	start, startLine := 0, 1
	line := 1
	directives := -1 // offset of the first directive line since the last document, or -1
	directivesLine := 0
	emit := func(end int) {
		if end > start {
			docs = append(docs, Document{Data: data[start:end], Line: startLine, Index: len(docs)})
		}
	}
	for off := 0; off < len(data); {
		nl := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if nl >= 0 {
			next = off + nl + 1
		}
		l := data[off:next]
		switch {
		case isMarker(l, "---"):
			cut := off
			if directives >= 0 {
				cut = directives
			}
			emit(cut)
			start, startLine = cut, line
			if directives >= 0 {
				startLine = directivesLine
			}
			directives = -1
		case isMarker(l, "..."):
			emit(off)
			start, startLine = next, line+1
			directives = -1
		case len(l) > 0 && l[0] == '%':
			if directives < 0 {
				directives, directivesLine = off, line
			}
		}
		off = next
		line++
	}
	emit(len(data))
	return docs
}

// isMarker reports whether line starts with the document marker m followed
// by white space or the end of the line.
func isMarker(line []byte, m string) bool {
	if !bytes.HasPrefix(line, []byte(m)) {
		return false
	}
	if len(line) == len(m) {
		return true
	}
	switch line[len(m)] {
	case ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// Blank reports whether the document holds nothing but white space,
// comments and markers.
func (d Document) Blank() bool {
	data := d.Data
	for len(data) > 0 {
		nl := bytes.IndexByte(data, '\n')
		l := data
		if nl >= 0 {
			l, data = data[:nl], data[nl+1:]
		} else {
			data = nil
		}
		l = bytes.TrimSpace(l)
		if isMarker(l, "---") || isMarker(l, "...") {
			l = bytes.TrimSpace(l[3:])
		}
		if len(l) == 0 || l[0] == '#' {
			continue
		}
		return false
	}
	return true
}
