/*
 * oid.h - every object identifier crypto/ compares with or writes, in
 * one place: the arcs the algorithm families hang off, then the OIDs by
 * what they are.  cms_names.c's table gives them their printable names
 * (smime_oid_name) and cipher.c's table their cipher; nothing else in
 * crypto/ spells an OID out.
 */
#ifndef SMIME_OID_H
#define SMIME_OID_H

/* Arcs: an OID of the family is the arc and its last number. */
#define OID_PKCS1 "1.2.840.113549.1.1."      /* RFC 8017 */
#define OID_PKCS7 "1.2.840.113549.1.7."      /* content types */
#define OID_PKCS9 "1.2.840.113549.1.9."      /* attributes */
#define OID_SMIME_CT OID_PKCS9 "16.1."       /* id-ct */
#define OID_SMIME_AA OID_PKCS9 "16.2."       /* id-aa */
#define OID_SMIME_ALG OID_PKCS9 "16.3."      /* id-alg */
#define OID_NIST_AES "2.16.840.1.101.3.4.1." /* RFC 3565, 5084 */
#define OID_NIST_HASH "2.16.840.1.101.3.4.2."
#define OID_NIST_SIG "2.16.840.1.101.3.4.3."
#define OID_SECG_SCHEME "1.3.132.1."       /* RFC 5753 */
#define OID_RSADSI_ALG "1.2.840.113549.3." /* encryptionAlgorithm */

/* Content types (RFC 5652, 5083) */
#define OID_DATA OID_PKCS7 "1"
#define OID_SIGNED_DATA OID_PKCS7 "2"
#define OID_ENVELOPED_DATA OID_PKCS7 "3"
#define OID_AUTH_ENVELOPED_DATA OID_SMIME_CT "23"

/* Attributes (RFC 5652 section 11, RFC 8551, RFC 5035) */
#define OID_PKCS9_EMAIL OID_PKCS9 "1" /* emailAddress in a subject DN */
#define OID_CONTENT_TYPE OID_PKCS9 "3"
#define OID_MESSAGE_DIGEST OID_PKCS9 "4"
#define OID_SIGNING_TIME OID_PKCS9 "5"
#define OID_SMIME_CAPABILITIES OID_PKCS9 "15"
#define OID_SIGNING_CERT_V2 OID_SMIME_AA "47"

/* Public-key algorithms and their parameters (RFC 3370, 4055, 8419) */
#define OID_RSA_ENCRYPTION OID_PKCS1 "1"
#define OID_RSAES_OAEP OID_PKCS1 "7"
#define OID_MGF1 OID_PKCS1 "8"
#define OID_PSPECIFIED OID_PKCS1 "9"
#define OID_RSASSA_PSS OID_PKCS1 "10"
#define OID_ED25519 "1.3.101.112"

/* Content ciphers (RFC 3370, 3565, 5084, 8103) */
#define OID_RC2_CBC OID_RSADSI_ALG "2"
#define OID_DES_EDE3_CBC OID_RSADSI_ALG "7"
#define OID_DES_CBC "1.3.14.3.2.7"
#define OID_CHACHA_POLY OID_SMIME_ALG "18"

/* Certificates (RFC 5280, 8398) */
#define OID_SUBJECT_ALT_NAME "2.5.29.17"
#define OID_KP_ANY "2.5.29.37.0"
#define OID_KP_EMAIL "1.3.6.1.5.5.7.3.4"
#define OID_SMTP_UTF8_MAILBOX "1.3.6.1.5.5.7.8.9"

#endif
