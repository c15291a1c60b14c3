#include "api/jwks.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <simdjson.h>

#include <fstream>
#include <sstream>

namespace parley {

namespace {

// A JWKS file is a handful of keys; anything bigger is not one.
constexpr size_t kMaxJwksBytes = 1024 * 1024;
constexpr size_t kMaxKidChars = 256;
constexpr int kMinRsaBits = 2048;
constexpr size_t kP256CoordinateBytes = 32;

struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct KeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// A public key from OpenSSL parameters (`type` "RSA" or "EC"), checked.
KeyPtr key_from(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0)
    return nullptr;
  KeyPtr key(raw);
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, raw, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) <= 0) return nullptr;
  return key;
}

std::optional<std::string> pem_of(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return std::nullopt;
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  if (n <= 0) return std::nullopt;
  return std::string(data, static_cast<size_t>(n));
}

// The key the parameters make, as PEM for `alg`; `invalid` when OpenSSL
// refuses them.
std::optional<JwtKey> finish(const char* type, OSSL_PARAM_BLD* bld, jwt_alg_t alg,
                             const char* invalid, std::string& error) {
  auto key = key_from(type, bld);
  auto pem = key ? pem_of(key.get()) : std::nullopt;
  if (!pem) {
    error = invalid;
    return std::nullopt;
  }
  return JwtKey{alg, std::move(*pem), std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free)};
}

// A string member, or nullopt when absent; `bad` when present but not a string.
std::optional<std::string_view> member(simdjson::dom::object o, const char* name, bool& bad) {
  simdjson::dom::element e;
  if (o[name].get(e) != simdjson::SUCCESS) return std::nullopt;
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) {
    bad = true;
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> decoded(simdjson::dom::object o, const char* name, std::string& error) {
  bool bad = false;
  auto v = member(o, name, bad);
  if (!v || bad) {
    error = std::string("\"") + name + "\" is missing or not a string";
    return std::nullopt;
  }
  auto bytes = base64url_decode(*v);
  if (!bytes || bytes->empty()) error = std::string("\"") + name + "\" is not base64url";
  return bytes;
}

std::optional<JwtKey> rsa_key(simdjson::dom::object o, std::string& error) {
  auto n = decoded(o, "n", error);
  if (!n) return std::nullopt;
  auto e = decoded(o, "e", error);
  if (!e) return std::nullopt;
  std::unique_ptr<BIGNUM, BnFree> bn_n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()),
                nullptr));
  std::unique_ptr<BIGNUM, BnFree> bn_e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()),
                nullptr));
  if (!bn_n || !bn_e) {
    error = "RSA key: out of memory";
    return std::nullopt;
  }
  if (BN_num_bits(bn_n.get()) < kMinRsaBits) {
    error = "RSA key: modulus under " + std::to_string(kMinRsaBits) + " bits";
    return std::nullopt;
  }
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    error = "RSA key: out of memory";
    return std::nullopt;
  }
  return finish("RSA", bld.get(), JWT_ALG_RS256, "RSA key: not a valid public key", error);
}

std::optional<JwtKey> ec_key(simdjson::dom::object o, std::string& error) {
  bool bad = false;
  auto crv = member(o, "crv", bad);
  if (!crv || *crv != "P-256") {
    error = "EC key: only crv \"P-256\" (ES256) is supported";
    return std::nullopt;
  }
  auto x = decoded(o, "x", error);
  if (!x) return std::nullopt;
  auto y = decoded(o, "y", error);
  if (!y) return std::nullopt;
  if (x->size() != kP256CoordinateBytes || y->size() != kP256CoordinateBytes) {
    error = "EC key: x and y must be 32 bytes each";
    return std::nullopt;
  }
  std::string point = "\x04" + *x + *y;  // uncompressed (SEC 1 §2.3.3)
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size())) {
    error = "EC key: out of memory";
    return std::nullopt;
  }
  return finish("EC", bld.get(), JWT_ALG_ES256, "EC key: not a point on P-256", error);
}

// One entry of "keys": its kid and key, or nullopt with `error`.
std::optional<std::pair<std::string, JwtKey>> one_key(simdjson::dom::element e,
                                                      std::string& error) {
  simdjson::dom::object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) {
    error = "not a JSON object";
    return std::nullopt;
  }
  bool bad = false;
  auto kid = member(o, "kid", bad);
  if (!kid || bad || kid->empty() || kid->size() > kMaxKidChars) {
    error = "\"kid\" is missing, empty, over " + std::to_string(kMaxKidChars) +
            " characters or not a string";
    return std::nullopt;
  }
  const std::string prefix = "kid \"" + std::string(*kid) + "\": ";
  auto use = member(o, "use", bad);
  auto alg = member(o, "alg", bad);
  auto kty = member(o, "kty", bad);
  if (bad) {
    error = prefix + "kty, use and alg must be strings";
    return std::nullopt;
  }
  if (use && *use != "sig") {
    error = prefix + "\"use\" is \"" + std::string(*use) + "\", not \"sig\"";
    return std::nullopt;
  }
  std::optional<JwtKey> key;
  std::string why;
  const char* implied = nullptr;
  if (kty && *kty == "RSA") {
    implied = "RS256";
    key = rsa_key(o, why);
  } else if (kty && *kty == "EC") {
    implied = "ES256";
    key = ec_key(o, why);
  } else {
    error = prefix + "\"kty\" must be \"RSA\" (RS256) or \"EC\" (ES256)";
    return std::nullopt;
  }
  if (!key) {
    error = prefix + why;
    return std::nullopt;
  }
  if (alg && *alg != implied) {
    error = prefix + "\"alg\" \"" + std::string(*alg) + "\" does not fit the key (only " +
            implied + ")";
    return std::nullopt;
  }
  return std::make_pair(std::string(*kid), std::move(*key));
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct SigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};

// A JWS ES256 signature (r||s) as the DER that OpenSSL verifies.
std::optional<std::string> ecdsa_der(const std::string& raw) {
  if (raw.size() != 2 * kP256CoordinateBytes) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(p, kP256CoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(p + kP256CoordinateBytes, kP256CoordinateBytes, nullptr);
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int n = i2d_ECDSA_SIG(sig.get(), &der);
  if (n <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

}  // namespace

bool verify_signature(const JwtKey& key, std::string_view signing_input,
                      std::string_view signature) {
  if (!key.key) return false;
  auto sig = base64url_decode(signature);
  if (!sig || sig->empty()) return false;
  if (key.alg == JWT_ALG_ES256) {
    sig = ecdsa_der(*sig);
    if (!sig) return false;
  } else if (key.alg != JWT_ALG_RS256) {
    return false;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  return ctx &&
         EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()),
                          sig->size(),
                          reinterpret_cast<const unsigned char*>(signing_input.data()),
                          signing_input.size()) == 1;
}

std::optional<std::string> base64url_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = b64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // A single leftover character (6 bits) cannot end a valid encoding.
  if (in.size() % 4 == 1) return std::nullopt;
  return out;
}

std::optional<JwtKeys> parse_jwks(std::string_view json, std::string& error) {
  if (json.size() > kMaxJwksBytes) {
    error = "over " + std::to_string(kMaxJwksBytes) + " bytes";
    return std::nullopt;
  }
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::object doc;
  simdjson::dom::array keys;
  if (parser.parse(padded).get_object().get(doc) != simdjson::SUCCESS ||
      doc["keys"].get_array().get(keys) != simdjson::SUCCESS) {
    error = "not a JWKS document (a JSON object with a \"keys\" array)";
    return std::nullopt;
  }
  JwtKeys out;
  size_t index = 0;
  for (auto e : keys) {
    std::string why;
    auto key = one_key(e, why);
    if (!key) {
      error = "keys[" + std::to_string(index) + "]: " + why;
      return std::nullopt;
    }
    if (out.count(key->first)) {
      error = "keys[" + std::to_string(index) + "]: kid \"" + key->first + "\" appears twice";
      return std::nullopt;
    }
    out.emplace(std::move(key->first), std::move(key->second));
    ++index;
  }
  if (out.empty()) {
    error = "no keys";
    return std::nullopt;
  }
  return out;
}

std::optional<JwtKeys> read_jwks_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read \"" + path + "\"";
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string why;
  auto keys = parse_jwks(ss.str(), why);
  if (!keys) error = "\"" + path + "\": " + why;
  return keys;
}

}  // namespace parley
