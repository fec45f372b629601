{{- define "locus-edge.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "locus-edge.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "locus-edge.networks" -}}
{{- $release := .Release.Name -}}
{{- range $i, $net := .Values.networks -}}
{{- if $i }}, {{ end -}}
{{ printf "%s-%s@%s" $release $net.name $net.interface }}
{{- end -}}
{{- end -}}
