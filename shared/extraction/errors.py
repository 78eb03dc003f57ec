from shared.errors import Conflict, DomainError, ErrorKind, Invalid, NotFound


class SchemaNotFound(NotFound):
    code = "schema_not_found"


class SchemaVersionNotFound(NotFound):
    code = "schema_version_not_found"


class SchemaNameTaken(Conflict):
    code = "schema_name_taken"
    title = "You have a schema of that name"


class TooManySchemas(Invalid):
    code = "too_many_schemas"


class UnknownLabel(DomainError):
    kind = ErrorKind.UNPROCESSABLE
    code = "unknown_label"
    title = "Not a classification label of this deployment"


class ExtractionNotFound(NotFound):
    code = "extraction_not_found"


class FieldNotFound(NotFound):
    code = "field_not_found"


class InvalidValue(DomainError):
    kind = ErrorKind.UNPROCESSABLE
    code = "invalid_value"
    title = "The value is not one of the field's type"
