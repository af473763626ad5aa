{{/* The chart's name, or nameOverride. */}}
{{- define "service.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of the release's objects: the release name when it contains the chart name. */}}
{{- define "service.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels every object carries. */}}
{{- define "service.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "service.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the pods; never change them on a running release. */}}
{{- define "service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "service.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "service.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding the secret variables: an existing one, or the chart's. */}}
{{- define "service.secretName" -}}
{{- default (printf "%s-secrets" (include "service.fullname" .)) .Values.secrets.existingSecret }}
{{- end }}

{{/* The init container that runs pending migrations (`migrations.enabled`), in the web pods and
the consumer's alike: neither starts against tables not yet created. */}}
{{- define "service.migrateContainer" -}}
- name: migrate
  image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["node", "dist/migrate.js"]
  envFrom:
    - configMapRef:
        name: {{ include "service.fullname" . }}-config
  resources:
    {{- toYaml .Values.migrations.resources | nindent 4 }}
  securityContext:
    allowPrivilegeEscalation: false
    privileged: false
    readOnlyRootFilesystem: true
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    capabilities:
      drop:
        - ALL
  {{- if .Values.secrets.values }}
  volumeMounts:
    - name: secrets
      mountPath: /var/run/secrets/{{ include "service.name" . }}
      readOnly: true
  {{- end }}
{{- end }}

{{/* Labels that select the event consumer's pods (`consumer.enabled`): apart from the web pods',
so the Service, HPA and PDB of the web pods never count them. */}}
{{- define "service.consumerSelectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-consumer" (include "service.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The egress rules of the service's pods, the web pods' and the consumer's alike: DNS, then
`networkPolicy.egressPorts`. */}}
{{- define "service.egress" -}}
# DNS: CoreDNS in kube-system, and node-local caches (NodeLocal DNSCache) by address.
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
    {{- range .Values.networkPolicy.dnsCidrs }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- range .Values.networkPolicy.egressPorts }}
# {{ .name }}.
- ports:
    - port: {{ .port }}
      protocol: TCP
{{- end }}
{{- end }}
