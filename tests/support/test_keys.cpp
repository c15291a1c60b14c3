#include "test_keys.hpp"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace parley::test {

namespace {

struct KeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test key: ") + what);
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string base64url(const std::string& bytes) {
  static const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3F]);
  return out;
}

// A BIGNUM parameter of `key`, big-endian, left-padded to `width` bytes (0: as is).
std::string bn_param(EVP_PKEY* key, const char* name, int width) {
  BIGNUM* raw = nullptr;
  require(EVP_PKEY_get_bn_param(key, name, &raw) == 1, name);
  std::unique_ptr<BIGNUM, BnFree> bn(raw);
  int n = width ? width : BN_num_bytes(bn.get());
  std::string out(static_cast<size_t>(n), '\0');
  require(BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), n) == n, name);
  return out;
}

TestKey finish(KeyPtr key, std::string kid, std::string kty, std::string alg) {
  TestKey k{std::move(kid), std::move(kty), std::move(alg), {}, {}, {}};
  std::unique_ptr<BIO, BioFree> priv(BIO_new(BIO_s_mem())), pub(BIO_new(BIO_s_mem()));
  require(PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                   nullptr) == 1,
          "private PEM");
  require(PEM_write_bio_PUBKEY(pub.get(), key.get()) == 1, "public PEM");
  k.private_pem = bio_text(priv.get());
  k.public_pem = bio_text(pub.get());
  if (k.kty == "RSA") {
    k.jwk = R"({"kty":"RSA","use":"sig","alg":"RS256","kid":")" + k.kid + R"(","n":")" +
            base64url(bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N, 0)) + R"(","e":")" +
            base64url(bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, 0)) + R"("})";
  } else {
    k.jwk = R"({"kty":"EC","crv":"P-256","kid":")" + k.kid + R"(","x":")" +
            base64url(bn_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32)) + R"(","y":")" +
            base64url(bn_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32)) + R"("})";
  }
  return k;
}

std::string sign(jwt_alg_t alg, const std::string& key, const std::string& claims,
                 const std::string& kid) {
  jwt_t* j = nullptr;
  require(jwt_new(&j) == 0, "jwt_new");
  std::unique_ptr<jwt_t, void (*)(jwt_t*)> guard(j, jwt_free);
  require(jwt_add_grants_json(j, claims.c_str()) == 0, "claims");
  if (!kid.empty()) require(jwt_add_header(j, "kid", kid.c_str()) == 0, "kid");
  require(jwt_set_alg(j, alg, reinterpret_cast<const unsigned char*>(key.data()),
                      static_cast<int>(key.size())) == 0,
          "alg");
  char* s = jwt_encode_str(j);
  require(s != nullptr, "encode");
  std::string out(s);
  std::free(s);
  return out;
}

}  // namespace

TestKey make_rsa_key(const std::string& kid) {
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
  require(key != nullptr, "RSA keygen");
  return finish(std::move(key), kid, "RSA", "RS256");
}

TestKey make_ec_key(const std::string& kid) {
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  require(key != nullptr, "EC keygen");
  return finish(std::move(key), kid, "EC", "ES256");
}

std::string jwks_of(const std::vector<TestKey>& keys) {
  std::string out = R"({"keys":[)";
  for (size_t i = 0; i < keys.size(); ++i) out += (i ? "," : "") + keys[i].jwk;
  return out + "]}";
}

std::string sign_jwt(const TestKey& key, const std::string& claims) {
  return sign_jwt(key, claims, key.kid);
}

std::string sign_jwt(const TestKey& key, const std::string& claims, const std::string& kid) {
  return sign(key.alg == "RS256" ? JWT_ALG_RS256 : JWT_ALG_ES256, key.private_pem, claims, kid);
}

std::string sign_hs256(const std::string& secret, const std::string& claims,
                       const std::string& kid) {
  return sign(JWT_ALG_HS256, secret, claims, kid);
}

}  // namespace parley::test
