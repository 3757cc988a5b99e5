package secret

import (
	"slices"
	"testing"
)

func TestNameKind(t *testing.T) {
	tests := []struct {
		name, want string
	}{
		{"PASSWORD", "password"},
		{"DB_PASSWORD", "password"},
		{"dbPassword", "password"},
		{"db-password", "password"},
		{"spring.datasource.password", "password"},
		{"MYSQL_ROOT_PASSWD", "password"},
		{"DBPASSWORD", "password"},
		{"GITHUB_TOKEN", "token"},
		{"authToken", "token"},
		{"API_KEY", "API key"},
		{"apiKey", "API key"},
		{"APIKEY", "API key"},
		{"STRIPE_APIKEY", "API key"},
		{"AWS_SECRET_ACCESS_KEY", "access key"},
		{"DJANGO_SECRET_KEY", "secret key"},
		{"SECRET_KEY_BASE", "secret key"},
		{"JWT_SECRET", "secret"},
		{"VAULT_SECRET_ID", "secret"},
		{"SSH_PRIVATE_KEY", "private key"},
		{"GOOGLE_APPLICATION_CREDENTIALS_JSON", "credential"},
		{"AUTH_KEY", "auth key"},
		{"GPG_PASSPHRASE", "passphrase"},
		{"TOKEN_TTL", ""},
		{"TOKEN_EXPIRY_SECONDS", ""},
		{"PASSWORD_FILE", ""},
		{"passwordFile", ""},
		{"SECRET_NAME", ""},
		{"existingSecret", ""},
		{"secretKeyRef", ""},
		{"TOKEN_URL", ""},
		{"OAUTH_TOKEN_ENDPOINT", ""},
		{"PASSWORD_MIN_LENGTH", ""},
		{"AWS_ACCESS_KEY_ID", ""},
		{"SSH_PRIVATE_KEY_PATH", ""},
		{"ALLOW_EMPTY_PASSWORD", ""},
		{"TOKENIZER", ""},
		{"PASSWORDLESS_LOGIN", ""},
		{"PWD", ""},
		{"KEY", ""},
		{"HOME", ""},
	}
	for _, tt := range tests {
		if got := nameKind(tt.name); got != tt.want {
			t.Errorf("nameKind(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestLiteral(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{
		{"hunter2!", true},
		{"postgres", true},
		{"s3cr3t-Value", true},
		{"12345678", true},
		{"", false},
		{"abc", false},
		{"$(DB_PASSWORD)", false},
		{"${DB_PASSWORD}", false},
		{"$DB_PASSWORD", false},
		{"{{ .Values.password }}", false},
		{"<your-password>", false},
		{"[REDACTED]", false},
		{"********", false},
		{"xxxx", false},
		{"aaaaaaa", false},
		{"changeme", false},
		{"CHANGE_ME", false},
		{"your-api-key", false},
		{"yourpassword", false},
		{"INSERT_CLUSTER_TOKEN", false},
		{"mysql-root", true},
		{"password", false},
		{"true", false},
		{"3600", false},
		{"3600s", false},
		{"86400s", false},
		{"/var/run/secrets/token", false},
		{"https://auth.example.org/token", false},
		{"https://vault.internal:8200/v1/token", false},
		{"vault:secret/data/app#password", false},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db", false},
		{"ENC(AbCdEf0123)", false},
		{"id=npmrc,src=/run/secrets/npmrc", false},
		{"AKIAIOSFODNN7EXAMPLE", false},
	}
	for _, tt := range tests {
		if got := literal(tt.value); got != tt.want {
			t.Errorf("literal(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}

func TestValueKinds(t *testing.T) {
	pemBody := "MIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPBaNDBRVzW0dTPDXXRJm2IbPEk0j6K7XIaOBiuJCC0lBaNMKf8BSeRDAgVFmO3bG3C0qmxvKHYbBAekBwLjEVB"
	tests := []struct {
		value string
		want  []string
	}{
		{"-----BEGIN RSA PRIVATE KEY-----\n" + pemBody + "\n-----END RSA PRIVATE KEY-----\n", []string{"private key"}},
		{"-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----", nil},
		{"-----BEGIN CERTIFICATE-----\n" + pemBody + "\n-----END CERTIFICATE-----", nil},
		{"AKIAZ7QWERTYUIOPASDF", []string{"AWS access key ID"}},
		{"AKIAIOSFODNN7EXAMPLE", nil},
		{"ghp_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", []string{"GitHub token"}},
		{"xoxb-1234567890-abcdefghij", []string{"Slack token"}},
		{"AIza" + "SyA1234567890abcdefghijklmnopqrstuv", []string{"Google API key"}},
		{"postgres://app:Sup3rS3cret@db:5432/app", []string{"password in a URL"}},
		{"postgres://app:$(DB_PASSWORD)@db:5432/app", nil},
		{"postgres://app@db:5432/app", nil},
		{"https://user:<password>@host/", nil},
		{"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhcHAiLCJpYXQiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbi1oZXJl", []string{"JSON Web Token"}},
		{"https://hooks.slack.com/services/T0123ABCD/B0456EFGH/aBcDeFgHiJkLmNoPqRsTuVwX", []string{"Slack webhook URL"}},
		{"https://hooks.slack.com/services/XXX/YYY/ZZZ", nil},
		{"just some configuration", nil},
	}
	for _, tt := range tests {
		if got := valueKinds(tt.value); !slices.Equal(got, tt.want) {
			t.Errorf("valueKinds(%.40q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}

func TestAssignments(t *testing.T) {
	content := `# application.properties
spring.datasource.url=jdbc:postgresql://db:5432/app
spring.datasource.password=hunter2!
spring.datasource.password-file=/etc/secret/pw
token.ttl=3600
db:
  password: "s3cr3t-Value"
  passwordFile: /run/secrets/db
  token: ${TOKEN}
<apiKey>abcdef123456</apiKey>
export GITHUB_TOKEN=abc123def456
  # password: commented-out
`
	var got []string
	for _, a := range assignments(content) {
		got = append(got, a.Key)
	}
	want := []string{"spring.datasource.password", "password", "apiKey", "GITHUB_TOKEN"}
	if !slices.Equal(got, want) {
		t.Errorf("assignments() keys = %q, want %q", got, want)
	}
	if a := assignments(`{"auth":{"password":"hunter2!","passwordFile":"/x"}}`); len(a) != 1 || a[0].Key != "password" {
		t.Errorf("assignments(JSON) = %+v, want the password key", a)
	}
}

func TestArgCredentials(t *testing.T) {
	tests := []struct {
		args []string
		i    int
		want int
	}{
		{[]string{"--password=hunter2!"}, 0, 1},
		{[]string{"--password", "hunter2!"}, 0, 1},
		{[]string{"--token", "$(TOKEN)"}, 0, 0},
		{[]string{"--password=$(DB_PASSWORD)"}, 0, 0},
		{[]string{"--password-file=/etc/pw"}, 0, 0},
		{[]string{"--token-ttl=5m"}, 0, 0},
		{[]string{"--password-stdin", "registry.example.org"}, 0, 0},
		{[]string{"--secret", "id=npmrc,src=/run/secrets/npmrc"}, 0, 0},
		{[]string{"--enable-token-auth=true"}, 0, 0},
		{[]string{"sh", "-c", "PGPASSWORD=hunter2! psql -h db"}, 2, 1},
		{[]string{"sh", "-c", "mysqladmin ping -uroot -phunter2!"}, 2, 1},
		{[]string{"sh", "-c", "mysqladmin ping -uroot -p${MYSQL_ROOT_PASSWORD}"}, 2, 0},
		{[]string{"curl", "-u", "admin:hunter2!", "http://x"}, 1, 1},
		{[]string{"curl", "-H", "Authorization: Bearer abcdef0123456789"}, 2, 1},
		{[]string{"curl", "-H", "Authorization: Bearer $(TOKEN)"}, 2, 0},
		{[]string{"helm", "install", "--set", "auth.password=hunter2!"}, 3, 1},
		{[]string{"--db-url=postgres://u:hunter2!@db/app"}, 0, 1},
		{[]string{"--port=8080"}, 0, 0},
	}
	for _, tt := range tests {
		if got := argCredentials(tt.args, tt.i); len(got) != tt.want {
			t.Errorf("argCredentials(%q, %d) = %q, want %d findings", tt.args, tt.i, got, tt.want)
		}
	}
}
