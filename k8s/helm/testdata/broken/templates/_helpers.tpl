{{- define "broken.dsn" -}}
postgres://{{ required "database.host is required" .Values.database.host }}/shop
{{- end -}}
