"""Schema definitions as data: User, EnterpriseUser and Group (RFC 7643 §2, §3.1, §4, §7).

Characteristics follow the schema representation of RFC 7643 §8.7.1; deviations are marked "Deviation".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

AttrType = Literal["string", "boolean", "decimal", "integer", "dateTime", "binary", "reference", "complex"]
AttrMutability = Literal["readOnly", "readWrite", "immutable", "writeOnly"]
AttrReturned = Literal["always", "never", "default", "request"]
AttrUniqueness = Literal["none", "server", "global"]

USER_SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"


@dataclass(frozen=True)
class Attribute:
    """One attribute definition with its characteristics (RFC 7643 §2.2, §7)."""

    name: str
    type: AttrType
    description: str = ""
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: AttrMutability = "readWrite"
    returned: AttrReturned = "default"
    uniqueness: AttrUniqueness = "none"
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    sub_attributes: tuple[Attribute, ...] = ()

    def sub_attribute(self, name: str) -> Attribute | None:
        return self._by_name.get(name.lower())

    @cached_property
    def _by_name(self) -> dict[str, Attribute]:
        return _index(self.sub_attributes)


@dataclass(frozen=True)
class Schema:
    """A schema: a URN and the attributes it defines (RFC 7643 §7)."""

    id: str
    name: str
    description: str
    attributes: tuple[Attribute, ...]

    def attribute(self, name: str) -> Attribute | None:
        return self._by_name.get(name.lower())

    @cached_property
    def _by_name(self) -> dict[str, Attribute]:
        return _index(self.attributes)


@dataclass(frozen=True)
class ResourceType:
    """A resource type: endpoint, core schema and extensions (RFC 7643 §6)."""

    id: str
    name: str
    endpoint: str
    description: str
    schema: Schema
    extensions: tuple[tuple[Schema, bool], ...] = ()

    def schema_by_urn(self, urn: str) -> Schema | None:
        return self._by_urn.get(urn.lower())

    @cached_property
    def _by_urn(self) -> dict[str, Schema]:
        schemas = (self.schema, *(extension for extension, _ in self.extensions))
        return {schema.id.lower(): schema for schema in schemas}


def _index(attributes: tuple[Attribute, ...]) -> dict[str, Attribute]:
    # Attribute names are case-insensitive (RFC 7643 §2.1); looked up on every request, so indexed once.
    return {attribute.name.lower(): attribute for attribute in attributes}


def _string(name: str, description: str, *, mutability: AttrMutability = "readWrite") -> Attribute:
    return Attribute(name, "string", description, mutability=mutability)


def _primary(what: str) -> Attribute:
    return Attribute(
        "primary",
        "boolean",
        f"Whether this is the primary or preferred {what}; the value true MUST appear no more than once.",
    )


def _display() -> Attribute:
    return _string("display", "A human-readable name, primarily used for display purposes.")


def _labelled(
    name: str,
    description: str,
    value: Attribute,
    *,
    what: str,
    types: tuple[str, ...] = (),
) -> Attribute:
    """A multi-valued complex attribute with the value/display/type/primary sub-attributes (RFC 7643 §2.4)."""
    function = "A label indicating the attribute's function."
    type_ = Attribute("type", "string", function, canonical_values=types)
    return Attribute(
        name,
        "complex",
        description,
        multi_valued=True,
        sub_attributes=(value, _display(), type_, _primary(what)),
    )


_NAME = Attribute(
    "name",
    "complex",
    "The components of the user's real name.",
    sub_attributes=(
        _string("formatted", "The full name, formatted for display (e.g., 'Ms. Barbara J Jensen, III')."),
        _string("familyName", "The family name of the User, or last name in most Western languages."),
        _string("givenName", "The given name of the User, or first name in most Western languages."),
        _string("middleName", "The middle name(s) of the User."),
        _string("honorificPrefix", "The honorific prefix(es) of the User, or title (e.g., 'Ms.')."),
        _string("honorificSuffix", "The honorific suffix(es) of the User, or suffix (e.g., 'III')."),
    ),
)

_ADDRESS_TYPE = Attribute(
    "type",
    "string",
    "A label indicating the attribute's function, e.g., 'work' or 'home'.",
    canonical_values=("work", "home", "other"),
)

_ADDRESSES = Attribute(
    "addresses",
    "complex",
    "A physical mailing address for this User.",
    multi_valued=True,
    sub_attributes=(
        _string("formatted", "The full mailing address, formatted for display or use with a mailing label."),
        _string("streetAddress", "The full street address component."),
        _string("locality", "The city or locality component."),
        _string("region", "The state or region component."),
        _string("postalCode", "The zip code or postal code component."),
        _string("country", "The country name component."),
        _ADDRESS_TYPE,
        # Deviation: §8.7.1 omits addresses.primary, but §4.1.2 defines it and the §8.2 example uses it.
        _primary("address"),
    ),
)

_GROUPS = Attribute(
    "groups",
    "complex",
    "A list of groups to which the user belongs, either directly, through nested groups, or dynamically.",
    multi_valued=True,
    mutability="readOnly",
    sub_attributes=(
        _string("value", "The identifier of the User's group.", mutability="readOnly"),
        Attribute(
            "$ref",
            "reference",
            "The URI of the corresponding 'Group' resource to which the user belongs.",
            mutability="readOnly",
            reference_types=("User", "Group"),
        ),
        _string("display", "A human-readable name for the group.", mutability="readOnly"),
        Attribute(
            "type",
            "string",
            "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.",
            mutability="readOnly",
            canonical_values=("direct", "indirect"),
        ),
    ),
)

USER = Schema(
    id=USER_SCHEMA_URN,
    name="User",
    description="User Account",
    attributes=(
        # userName keeps the RFC's returned "default"; it is not promoted to "always".
        Attribute(
            "userName",
            "string",
            "Unique identifier for the User, typically used by the user to directly authenticate.",
            required=True,
            uniqueness="server",
        ),
        _NAME,
        _string("displayName", "The name of the User, suitable for display to end-users."),
        _string("nickName", "The casual way to address the user in real life, e.g., 'Bob' instead of 'Robert'."),
        Attribute(
            "profileUrl",
            "reference",
            "A fully qualified URL pointing to a page representing the User's online profile.",
            reference_types=("external",),
        ),
        _string("title", "The user's title, such as 'Vice President'."),
        _string("userType", "The relationship between the organization and the user, e.g., 'Employee'."),
        _string("preferredLanguage", "The User's preferred written or spoken language, e.g., 'en-US'."),
        _string("locale", "The User's default location for localizing currency, dates and numbers."),
        _string("timezone", "The User's time zone in the 'Olson' format, e.g., 'America/Los_Angeles'."),
        Attribute("active", "boolean", "A Boolean value indicating the User's administrative status."),
        Attribute(
            "password",
            "string",
            "The User's cleartext password, to set an initial password or reset it.",
            mutability="writeOnly",
            returned="never",
        ),
        _labelled(
            "emails",
            "Email addresses for the user.",
            _string("value", "Email address for the user."),
            what="email address",
            types=("work", "home", "other"),
        ),
        _labelled(
            "phoneNumbers",
            "Phone numbers for the User.",
            _string("value", "Phone number of the User."),
            what="phone number",
            types=("work", "home", "mobile", "fax", "pager", "other"),
        ),
        _labelled(
            "ims",
            "Instant messaging addresses for the User.",
            _string("value", "Instant messaging address for the User."),
            what="messenger",
            types=("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
        ),
        _labelled(
            "photos",
            "URLs of photos of the User.",
            Attribute("value", "reference", "URL of a photo of the User.", reference_types=("external",)),
            what="photo",
            types=("photo", "thumbnail"),
        ),
        _ADDRESSES,
        _GROUPS,
        _labelled(
            "entitlements",
            "A list of entitlements for the User that represent a thing the User has.",
            _string("value", "The value of an entitlement."),
            what="entitlement",
        ),
        _labelled(
            "roles",
            "A list of roles for the User that collectively represent who the User is.",
            _string("value", "The value of a role."),
            what="role",
        ),
        _labelled(
            "x509Certificates",
            "A list of certificates issued to the User.",
            Attribute("value", "binary", "The value of an X.509 certificate."),
            what="certificate",
        ),
    ),
)

ENTERPRISE_USER = Schema(
    id=ENTERPRISE_USER_URN,
    name="EnterpriseUser",
    description="Enterprise User",
    attributes=(
        _string("employeeNumber", "Numeric or alphanumeric identifier assigned to a person."),
        _string("costCenter", "Identifies the name of a cost center."),
        _string("organization", "Identifies the name of an organization."),
        _string("division", "Identifies the name of a division."),
        _string("department", "Identifies the name of a department."),
        Attribute(
            "manager",
            "complex",
            "The User's manager, referencing the 'id' attribute of another User.",
            sub_attributes=(
                _string("value", "The id of the SCIM resource representing the User's manager."),
                Attribute(
                    "$ref",
                    "reference",
                    "The URI of the SCIM resource representing the User's manager.",
                    reference_types=("User",),
                ),
                _string("displayName", "The displayName of the User's manager.", mutability="readOnly"),
            ),
        ),
    ),
)

GROUP = Schema(
    id=GROUP_SCHEMA_URN,
    name="Group",
    description="Group",
    attributes=(
        # Deviation: §8.7.1 says required false; §4.2 says displayName is REQUIRED, which we follow.
        Attribute("displayName", "string", "A human-readable name for the Group.", required=True),
        Attribute(
            "members",
            "complex",
            "A list of members of the Group.",
            multi_valued=True,
            sub_attributes=(
                _string("value", "Identifier of the member of this Group.", mutability="immutable"),
                Attribute(
                    "$ref",
                    "reference",
                    "The URI corresponding to a SCIM resource that is a member of this Group.",
                    mutability="immutable",
                    reference_types=("User", "Group"),
                ),
                Attribute(
                    "type",
                    "string",
                    "A label indicating the type of resource, e.g., 'User' or 'Group'.",
                    mutability="immutable",
                    canonical_values=("User", "Group"),
                ),
                # Deviation: §8.7.1 omits members.display; §4.2 and the §8.4 example use it, and IdPs send it.
                _string("display", "A human-readable name for the member.", mutability="immutable"),
            ),
        ),
    ),
)

COMMON_ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "id",
        "string",
        "A unique identifier for a SCIM resource as defined by the service provider.",
        case_exact=True,
        mutability="readOnly",
        returned="always",
        uniqueness="server",
    ),
    Attribute(
        "externalId",
        "string",
        "A String that is an identifier for the resource as defined by the provisioning client.",
        case_exact=True,
    ),
    Attribute(
        "meta",
        "complex",
        "A complex attribute containing resource metadata.",
        mutability="readOnly",
        sub_attributes=(
            Attribute(
                "resourceType",
                "string",
                "The name of the resource type of the resource.",
                case_exact=True,
                mutability="readOnly",
            ),
            Attribute("created", "dateTime", "When the resource was added.", mutability="readOnly"),
            Attribute("lastModified", "dateTime", "When it was last modified.", mutability="readOnly"),
            Attribute(
                "location",
                "reference",
                "The URI of the resource being returned.",
                case_exact=True,
                mutability="readOnly",
                reference_types=("uri",),
            ),
            Attribute(
                "version",
                "string",
                "The version (ETag) of the resource being returned.",
                case_exact=True,
                mutability="readOnly",
            ),
        ),
    ),
)

_COMMON_BY_NAME = _index(COMMON_ATTRIBUTES)


def common_attribute(name: str) -> Attribute | None:
    """`id`, `externalId` or `meta` (RFC 7643 §3.1), by case-insensitive name."""
    return _COMMON_BY_NAME.get(name.lower())


USER_RESOURCE = ResourceType(
    id="User",
    name="User",
    endpoint="/Users",
    description="User Account",
    schema=USER,
    extensions=((ENTERPRISE_USER, False),),
)

GROUP_RESOURCE = ResourceType(
    id="Group",
    name="Group",
    endpoint="/Groups",
    description="Group",
    schema=GROUP,
)
