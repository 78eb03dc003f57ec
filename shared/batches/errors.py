from shared.errors import Invalid, NotFound, TooLarge, Unprocessable, UnsupportedMediaType


class BatchNotFound(NotFound):
    code = "batch_not_found"


class NotAZip(UnsupportedMediaType):
    code = "not_a_zip"
    title = "Not a ZIP archive"


class CorruptArchive(Unprocessable):
    code = "corrupt_archive"
    title = "The archive cannot be read"


class EmptyArchive(Invalid):
    code = "empty_archive"
    title = "The archive holds no files"


class TooManyEntries(TooLarge):
    code = "too_many_entries"
    title = "Too many entries"


class ArchiveTooLarge(TooLarge):
    code = "archive_too_large"
