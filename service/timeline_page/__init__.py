"""The timeline page: a deal's history on a time axis, rendered on the server as HTML with an inline SVG chart."""
