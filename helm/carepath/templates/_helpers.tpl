{{/*
carepath.name: the chart name, or nameOverride; at most 63 characters (DNS label limit).
*/}}
{{- define "carepath.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
carepath.fullname: the base name of every object, "<release>-<chart>", or fullnameOverride.
If the release name already contains the chart name it is used alone. Truncated to 63
characters because Kubernetes names of Services and labels are limited to that.
*/}}
{{- define "carepath.fullname" -}}
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

{{/*
carepath.chart: "<chart>-<version>" for the helm.sh/chart label ("+" is not allowed in labels).
*/}}
{{- define "carepath.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
carepath.labels: the app.kubernetes.io/* labels put on every object of the release.
*/}}
{{- define "carepath.labels" -}}
helm.sh/chart: {{ include "carepath.chart" . }}
{{ include "carepath.selectorLabels" . }}
app.kubernetes.io/version: {{ include "carepath.imageTag" . | quote }}
app.kubernetes.io/part-of: carepath
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
carepath.selectorLabels: the labels that identify this release's objects. They never change
after install (a Deployment's selector is immutable), so no version goes in here.
*/}}
{{- define "carepath.selectorLabels" -}}
app.kubernetes.io/name: {{ include "carepath.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
carepath.serverSelectorLabels: selector labels plus component "server": the server pods only,
so that the Service, PodDisruptionBudget and NetworkPolicy never pick the migration Job's pod
or the test pod.
*/}}
{{- define "carepath.serverSelectorLabels" -}}
{{ include "carepath.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{/*
carepath.serviceAccountName: the ServiceAccount of the server pods.
*/}}
{{- define "carepath.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "carepath.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
carepath.imageTag: image.tag, or the chart's appVersion when empty.
*/}}
{{- define "carepath.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/*
carepath.image: "<repository>:<tag>" of the server image (also used by the migration Job).
*/}}
{{- define "carepath.image" -}}
{{- printf "%s:%s" .Values.image.repository (include "carepath.imageTag" .) }}
{{- end }}

{{/*
carepath.cnpgClusterName: name of the CloudNativePG Cluster, "<fullname>-db". CNPG derives the
"<cluster>-rw" Service and the "<cluster>-app" Secret from it.
*/}}
{{- define "carepath.cnpgClusterName" -}}
{{- printf "%s-db" (include "carepath.fullname" . | trunc 50 | trimSuffix "-") }}
{{- end }}

{{/*
carepath.databaseUrl: database.url, or with cnpg.enabled the JDBC URL of the cluster's
read-write Service. Fails when neither is given.
*/}}
{{- define "carepath.databaseUrl" -}}
{{- if .Values.database.url }}
{{- .Values.database.url }}
{{- else if .Values.cnpg.enabled }}
{{- printf "jdbc:postgresql://%s-rw:5432/%s" (include "carepath.cnpgClusterName" .) .Values.cnpg.database }}
{{- else }}
{{- fail "database.url is required (e.g. jdbc:postgresql://db.example.org:5432/carepath), or set cnpg.enabled=true" }}
{{- end }}
{{- end }}

{{/*
carepath.databaseSecret: the Secret holding the database password: database.existingSecret,
or with cnpg.enabled the cluster's "<cluster>-app" Secret. Fails when neither is given: the
chart never takes a password inline.
*/}}
{{- define "carepath.databaseSecret" -}}
{{- if .Values.database.existingSecret }}
{{- .Values.database.existingSecret }}
{{- else if .Values.cnpg.enabled }}
{{- printf "%s-app" (include "carepath.cnpgClusterName" .) }}
{{- else }}
{{- fail "database.existingSecret is required: create a Secret with the password (kubectl create secret generic carepath-db --from-literal=password=...) and name it here, or set cnpg.enabled=true" }}
{{- end }}
{{- end }}

{{/*
carepath.databaseUsernameKey: key of the user name in the database Secret, or "" to take
database.username. CNPG's app Secret has a "username" key.
*/}}
{{- define "carepath.databaseUsernameKey" -}}
{{- if .Values.database.existingSecretUsernameKey }}
{{- .Values.database.existingSecretUsernameKey }}
{{- else if and .Values.cnpg.enabled (not .Values.database.existingSecret) }}
{{- "username" }}
{{- end }}
{{- end }}

{{/*
carepath.databaseEnv: the SPRING_DATASOURCE_* variables, shared by the server Deployment and
the migration Job. The Job runs before the ConfigMap exists (pre-install), so these are set
directly on the container; the password always comes from a Secret.
*/}}
{{- define "carepath.databaseEnv" -}}
- name: SPRING_DATASOURCE_URL
  value: {{ include "carepath.databaseUrl" . | quote }}
{{- $usernameKey := include "carepath.databaseUsernameKey" . }}
{{- if $usernameKey }}
- name: SPRING_DATASOURCE_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ include "carepath.databaseSecret" . }}
      key: {{ $usernameKey }}
{{- else }}
- name: SPRING_DATASOURCE_USERNAME
  value: {{ .Values.database.username | quote }}
{{- end }}
- name: SPRING_DATASOURCE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "carepath.databaseSecret" . }}
      key: {{ .Values.database.existingSecretPasswordKey }}
{{- end }}

{{/*
carepath.migrationHook: when the migration Job runs. Before install and upgrade, so that new
pods only ever see a migrated schema. With cnpg.enabled the database is created by this very
release, so the first migration runs after install instead.
*/}}
{{- define "carepath.migrationHook" -}}
{{- if .Values.cnpg.enabled }}post-install,pre-upgrade{{ else }}pre-install,pre-upgrade{{ end }}
{{- end }}

{{/*
carepath.validateValues: checks across values that the schema cannot express. Called from
NOTES.txt, so "helm install", "helm template" and "helm lint" all stop with a clear message.
*/}}
{{- define "carepath.validateValues" -}}
{{- if hasKey .Values.database "password" }}
{{- fail "database.password is not supported: passwords never go in values. Create a Secret (kubectl create secret generic carepath-db --from-literal=password=...) and set database.existingSecret (and database.existingSecretPasswordKey if the key is not \"password\")." }}
{{- end }}
{{- if and .Values.security.enabled (not (or .Values.security.issuerUri .Values.security.jwkSetUri)) }}
{{- fail "security.enabled is true: set security.issuerUri or security.jwkSetUri so that the server can validate access tokens." }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not be greater than autoscaling.maxReplicas." }}
{{- end }}
{{- end }}
