/* The field tables of the model's objects: for each object, every member
 * its renderer writes, in order, with its JSON name, type, whether it may be
 * null or absent, and a short description. Declared once, beside the
 * renderer (render.c), and checked against its output by
 * tests/unit/test_model.c, so that an OpenAPI schema can be generated from
 * them (docs/internals/model.md). Pure data. */
#ifndef OG_MODEL_FIELDS_H
#define OG_MODEL_FIELDS_H

#include "core/ids.h"
#include "model/enums.h"

enum model_type {
	MT_STRING,
	MT_INTEGER,   /* int64 (amounts in minor units, counts) */
	MT_TIMESTAMP, /* int64 Unix seconds */
	MT_BOOLEAN,
	MT_CONST,    /* a fixed string: const_value (an object's "object" member) */
	MT_ENUM,     /* a string, one of enum_type's values */
	MT_ID,       /* the public id of an object of id_kind; with MF_EXPANDABLE, the object itself (object) */
	MT_METADATA, /* an object of string values set by the caller */
	MT_JSON,     /* any JSON object (an event's payload) */
	MT_OBJECT,   /* a nested object: its fields are object's */
	MT_LIST,     /* a Stripe list object whose data are objects of object's kind */
};

#define MF_NULLABLE   1u /* the value may be null */
#define MF_OPTIONAL   2u /* the member may be absent */
#define MF_EXPANDABLE 4u /* MT_ID: may be the full object instead of its id */

struct model_object;

struct model_field {
	const char *name;
	enum model_type type;
	unsigned flags;
	const struct model_enum *enum_type; /* MT_ENUM */
	const struct model_object *object;  /* MT_OBJECT, MT_LIST; MT_ID with MF_EXPANDABLE */
	enum id_kind id_kind;               /* MT_ID */
	const char *const_value;            /* MT_CONST */
	const char *description;
};

struct model_object {
	const char *name; /* the schema's name: "invoice", "invoice.status_transitions" */
	const char *description;
	const struct model_field *fields;
	int n_fields;
};

/* The objects (render.c). */
extern const struct model_object model_product;
extern const struct model_object model_price;
extern const struct model_object model_customer;
extern const struct model_object model_api_key;
extern const struct model_object model_user;
extern const struct model_object model_auth_session;
extern const struct model_object model_password_reset;
extern const struct model_object model_auth_logout;
extern const struct model_object model_invitation;
extern const struct model_object model_portal_session;
extern const struct model_object model_test_clock;
extern const struct model_object model_balance_txn;
extern const struct model_object model_sub_item;
extern const struct model_object model_subscription;
extern const struct model_object model_invoice_line;
extern const struct model_object model_invoice;
extern const struct model_object model_invoice_item;
extern const struct model_object model_event;
extern const struct model_object model_deleted;
extern const struct model_object model_list;
extern const struct model_object model_error;
extern const struct model_object model_audit_log;
extern const struct model_object model_payment_method;

/* Every top-level object above, NULL-terminated (for schema generators and
 * the test). */
extern const struct model_object *const model_objects[];

#endif
