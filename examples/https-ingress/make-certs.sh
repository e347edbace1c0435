#!/usr/bin/env bash
# Generates the certificates gateway.yaml names, ECDSA P-256, valid 30 days, into certs/ beside this script (or the
# directory given as $1). certs/ is git-ignored: private keys are made where they are used and never committed.
#
#   certs/ca.crt, ca.key                       the example CA; ca.crt is MUTUAL's caCertificates and curl's --cacert
#   certs/bookinfo-credential/tls.crt, tls.key bookinfo.example.com, read as credentialName bookinfo-credential
#   certs/secure/tls.crt, tls.key              secure.example.com, named by file path in gateway.yaml
#   certs/client/tls.crt, tls.key              a client certificate for the MUTUAL server
#
# Needs openssl 1.1.1 or later. Running it again replaces every file.
set -euo pipefail

out=${1:-"$(dirname "$0")/certs"}
days=30
umask 077
mkdir -p "$out/bookinfo-credential" "$out/secure" "$out/client"

new_key() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
}

new_key "$out/ca.key"
openssl req -x509 -new -key "$out/ca.key" -sha256 -days "$days" -subj "/CN=Proxy Example CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$out/ca.crt"

# issue DIR COMMON_NAME EXTENDED_KEY_USAGE: DIR/tls.key and DIR/tls.crt, signed by the CA, with the name as DNS SAN.
issue() {
    local dir=$1 name=$2 usage=$3
    new_key "$dir/tls.key"
    openssl req -new -key "$dir/tls.key" -subj "/CN=$name" -out "$dir/tls.csr"
    openssl x509 -req -in "$dir/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
        -set_serial "0x$(openssl rand -hex 12)" -days "$days" -sha256 \
        -extfile <(printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\nsubjectAltName=DNS:%s\n' "$usage" "$name") \
        -out "$dir/tls.crt" 2>/dev/null
    rm "$dir/tls.csr"
}

issue "$out/bookinfo-credential" bookinfo.example.com serverAuth
issue "$out/secure" secure.example.com serverAuth
issue "$out/client" client.example.com clientAuth

echo "certificates written to $out"
