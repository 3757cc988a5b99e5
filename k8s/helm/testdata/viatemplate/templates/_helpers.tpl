{{- define "viatemplate.port" -}}
{{ .Values.service.port }}
{{- end -}}
