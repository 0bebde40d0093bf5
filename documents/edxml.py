"""edXML packages (QCVN 102:2016/BTTTT) for exchanging documents between agencies: building and
reading a document package (envelope, header, manifest, base64 attachments) and a status message.
Reading never resolves entities, loads DTDs or touches the network, refuses any DOCTYPE, and checks
the standard's field limits and unit codes before anything is stored."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import date, datetime

from lxml import etree

from core.units import valid_unit_code

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
MAX_PACKAGE_BYTES = 80 * 1024 * 1024
LIMITS = {"CodeNumber": 11, "CodeNotation": 30, "Subject": 500, "OrganName": 200, "Content": 20000,
          "FullName": 100, "Position": 100, "Place": 100, "Description": 500}
STATUS_CODES = {"01": "Đã đến", "02": "Từ chối tiếp nhận", "03": "Đã tiếp nhận", "04": "Phân công",
                "05": "Đang xử lý", "06": "Hoàn thành", "13": "Lấy lại", "15": "Đồng ý lấy lại/cập nhật",
                "16": "Từ chối lấy lại/cập nhật"}


class EdxmlError(ValueError):
    """A package that cannot be accepted; the message says which element and why."""


@dataclass
class Organ:
    organ_id: str
    name: str = ""
    in_charge: str = ""
    address: str = ""
    email: str = ""
    telephone: str = ""


@dataclass
class FilePart:
    name: str
    content_type: str
    data: bytes
    content_id: str = ""


@dataclass
class DocumentPackage:
    sender: Organ
    receivers: list[Organ]
    code_number: str
    code_notation: str
    promulgation_date: date
    subject: str
    type_abbr: str = ""
    type_name: str = ""
    place: str = ""
    content: str = ""
    signer_position: str = ""
    signer_name: str = ""
    due_date: date | None = None
    priority: int = 0
    to_places: list[str] = field(default_factory=list)
    files: list[FilePart] = field(default_factory=list)

    @property
    def document_id(self) -> str:
        """`OrganId,yyyy/MM/dd,số/ký hiệu` as the standard identifies a document."""
        return f"{self.sender.organ_id},{self.promulgation_date:%Y/%m/%d},{self.code_number}/{self.code_notation}"


@dataclass
class StatusMessage:
    sender: Organ
    document_id: str
    status_code: str
    description: str = ""
    timestamp: datetime | None = None
    staff_name: str = ""
    department: str = ""


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    node = etree.SubElement(parent, _q(tag))
    if text is not None:
        node.text = text
    return node


def _organ(parent: etree._Element, tag: str, organ: Organ) -> None:
    node = _sub(parent, tag)
    for name, value in (("OrganId", organ.organ_id), ("OrganizationInCharge", organ.in_charge),
                        ("OrganName", organ.name), ("OrganAdd", organ.address), ("Email", organ.email),
                        ("Telephone", organ.telephone)):
        _sub(node, name, value)


def _envelope() -> tuple[etree._Element, etree._Element, etree._Element]:
    root = etree.Element(_q("export"), nsmap={None: NS})
    envelope = _sub(root, "edXMLEnvelope")
    return root, _sub(envelope, "edXMLHeader"), envelope


def build_document(package: DocumentPackage, trace_from: str | None = None) -> bytes:
    check_document(package)
    root, header, envelope = _envelope()
    message = _sub(header, "MessageHeader")
    _organ(message, "From", package.sender)
    for receiver in package.receivers:
        _organ(message, "To", receiver)
    code = _sub(message, "Code")
    _sub(code, "CodeNumber", package.code_number)
    _sub(code, "CodeNotation", package.code_notation)
    promulgation = _sub(message, "PromulgationInfo")
    _sub(promulgation, "Place", package.place)
    _sub(promulgation, "PromulgationDate", f"{package.promulgation_date:%Y/%m/%d}")
    kind = _sub(message, "DocumentType")
    _sub(kind, "Type", "1")
    _sub(kind, "TypeDetail", package.type_abbr)
    _sub(kind, "TypeName", package.type_name)
    _sub(message, "Subject", package.subject)
    _sub(message, "Content", package.content)
    signer = _sub(message, "SignerInfo")
    _sub(signer, "Competence", "")
    _sub(signer, "Position", package.signer_position)
    _sub(signer, "FullName", package.signer_name)
    _sub(message, "DueDate", f"{package.due_date:%Y/%m/%d}" if package.due_date else "")
    places = _sub(message, "ToPlaces")
    for place in package.to_places:
        _sub(places, "Place", place)
    other = _sub(message, "OtherInfo")
    _sub(other, "Priority", str(package.priority))
    _sub(other, "PromulgationAmount", "1")
    _sub(other, "PageAmount", "1")
    _sub(message, "SteeringType", "0")
    traces = _sub(header, "TraceHeaderList")
    trace = _sub(traces, "TraceHeader")
    _sub(trace, "OrganId", trace_from or package.sender.organ_id)
    _sub(trace, "Timestamp", datetime.now().strftime("%Y/%m/%d %H:%M:%S"))
    manifest = _sub(_sub(envelope, "edXMLBody"), "edXMLManifest")
    encoded = _sub(root, "AttachmentEncoded")
    for index, part in enumerate(package.files, start=1):
        content_id = part.content_id or f"cid:{index}"
        reference = _sub(manifest, "Reference")
        _sub(reference, "ContentId", content_id)
        _sub(reference, "AttachmentName", part.name)
        _sub(reference, "ContentType", part.content_type)
        attachment = _sub(encoded, "Attachment", base64.b64encode(part.data).decode())
        attachment.set("ContentId", content_id)
        attachment.set("ContentType", part.content_type)
        attachment.set("ContentTransferEncoded", "base64")
        attachment.set("AttachmentName", part.name)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def build_status(message: StatusMessage) -> bytes:
    if message.status_code not in STATUS_CODES:
        raise EdxmlError(f"StatusCode: unknown status {message.status_code!r}")
    root, header, envelope = _envelope()
    status = _sub(header, "Status")
    response = _sub(status, "ResponseFor")
    organ_id, _, rest = message.document_id.partition(",")
    promulgated, _, code = rest.partition(",")
    _sub(response, "OrganId", organ_id)
    _sub(response, "Code", code)
    _sub(response, "PromulgationDate", promulgated)
    _sub(response, "DocumentId", message.document_id)
    _organ(status, "From", message.sender)
    _sub(status, "StatusCode", message.status_code)
    _sub(status, "Description", message.description or STATUS_CODES[message.status_code])
    _sub(status, "Timestamp", (message.timestamp or datetime.now()).strftime("%Y/%m/%d %H:%M:%S"))
    staff = _sub(status, "StaffInfo")
    _sub(staff, "Department", message.department)
    _sub(staff, "Staff", message.staff_name)
    _sub(envelope, "edXMLBody")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# ---- reading ---------------------------------------------------------------------------------

def _parse(data: bytes) -> etree._Element:
    if len(data) > MAX_PACKAGE_BYTES:
        raise EdxmlError(f"package larger than {MAX_PACKAGE_BYTES} bytes")
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise EdxmlError("DOCTYPE/ENTITY declarations are not allowed in an edXML package")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=True, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise EdxmlError(f"not well-formed XML: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise EdxmlError("DOCTYPE declarations are not allowed in an edXML package")
    if etree.QName(root).namespace != NS:
        raise EdxmlError(f"root element must be in the namespace {NS}")
    return root


def _find(node: etree._Element, path: str) -> etree._Element | None:
    return node.find("/".join(_q(p) for p in path.split("/")))


def _text(node: etree._Element, path: str, required: bool = False, limit: int | None = None) -> str:
    found = _find(node, path)
    value = (found.text or "").strip() if found is not None else ""
    name = path.rsplit("/", 1)[-1]
    if required and not value:
        raise EdxmlError(f"{path}: required element is missing or empty")
    limit = limit or LIMITS.get(name)
    if limit is not None and len(value) > limit:
        raise EdxmlError(f"{path}: {len(value)} characters, at most {limit} allowed")
    return value


def _date(value: str, path: str, required: bool = True) -> date | None:
    if not value:
        if required:
            raise EdxmlError(f"{path}: required date is missing")
        return None
    try:
        return datetime.strptime(value, "%Y/%m/%d").date()
    except ValueError as exc:
        raise EdxmlError(f"{path}: {value!r} is not a date of the form yyyy/MM/dd") from exc


def _read_organ(node: etree._Element | None, path: str) -> Organ:
    if node is None:
        raise EdxmlError(f"{path}: required element is missing")
    organ = Organ(organ_id=_text(node, "OrganId", required=True), name=_text(node, "OrganName"),
                  in_charge=_text(node, "OrganizationInCharge", limit=200), address=_text(node, "OrganAdd", limit=300),
                  email=_text(node, "Email", limit=100), telephone=_text(node, "Telephone", limit=50))
    if not valid_unit_code(organ.organ_id):
        raise EdxmlError(f"{path}/OrganId: {organ.organ_id!r} is not a QCVN 102 unit code (NNN.NN.NN.XNN)")
    return organ


def _header(root: etree._Element) -> etree._Element:
    header = _find(root, "edXMLEnvelope/edXMLHeader")
    if header is None:
        raise EdxmlError("edXMLEnvelope/edXMLHeader: required element is missing")
    return header


def package_kind(data: bytes) -> str:
    header = _header(_parse(data))
    if _find(header, "Status") is not None:
        return "status"
    if _find(header, "MessageHeader") is not None:
        return "document"
    raise EdxmlError("edXMLHeader holds neither a MessageHeader nor a Status")


def parse_document(data: bytes) -> DocumentPackage:
    root = _parse(data)
    message = _find(_header(root), "MessageHeader")
    if message is None:
        raise EdxmlError("edXMLHeader/MessageHeader: required element is missing")
    sender = _read_organ(_find(message, "From"), "MessageHeader/From")
    receivers = [_read_organ(node, "MessageHeader/To") for node in message.findall(_q("To"))]
    try:
        priority = int(_text(message, "OtherInfo/Priority") or "0")
    except ValueError as exc:
        raise EdxmlError("OtherInfo/Priority: must be a number 0-4") from exc
    if not 0 <= priority <= 4:
        raise EdxmlError("OtherInfo/Priority: must be a number 0-4")
    package = DocumentPackage(
        sender=sender, receivers=receivers,
        code_number=_text(message, "Code/CodeNumber", required=True),
        code_notation=_text(message, "Code/CodeNotation", required=True),
        promulgation_date=_date(_text(message, "PromulgationInfo/PromulgationDate"),  # type: ignore[arg-type]
                                "PromulgationInfo/PromulgationDate"),
        subject=_text(message, "Subject", required=True), place=_text(message, "PromulgationInfo/Place"),
        type_abbr=_text(message, "DocumentType/TypeDetail", limit=10),
        type_name=_text(message, "DocumentType/TypeName", limit=100), content=_text(message, "Content"),
        signer_position=_text(message, "SignerInfo/Position"), signer_name=_text(message, "SignerInfo/FullName"),
        due_date=_date(_text(message, "DueDate"), "DueDate", required=False), priority=priority,
        to_places=[(p.text or "").strip()[:300] for p in message.findall(f"{_q('ToPlaces')}/{_q('Place')}")])
    package.files = _attachments(root)
    return package


def _attachments(root: etree._Element) -> list[FilePart]:
    names = {}
    manifest = _find(root, "edXMLEnvelope/edXMLBody/edXMLManifest")
    if manifest is not None:
        for reference in manifest.findall(_q("Reference")):
            names[_text(reference, "ContentId", limit=200)] = (_text(reference, "AttachmentName", limit=255),
                                                                _text(reference, "ContentType", limit=200))
    parts = []
    encoded = _find(root, "AttachmentEncoded")
    for node in encoded.findall(_q("Attachment")) if encoded is not None else []:
        content_id = node.get("ContentId", "")
        name, content_type = names.get(content_id, ("", ""))
        name = node.get("AttachmentName") or name
        if not name:
            raise EdxmlError(f"Attachment {content_id!r}: has no AttachmentName")
        try:
            data = base64.b64decode("".join((node.text or "").split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise EdxmlError(f"Attachment {name!r}: content is not valid base64") from exc
        parts.append(FilePart(name=name, content_type=node.get("ContentType") or content_type, data=data,
                              content_id=content_id))
    return parts


def parse_status(data: bytes) -> StatusMessage:
    status = _find(_header(_parse(data)), "Status")
    if status is None:
        raise EdxmlError("edXMLHeader/Status: required element is missing")
    code = _text(status, "StatusCode", required=True, limit=2)
    if code not in STATUS_CODES:
        raise EdxmlError(f"Status/StatusCode: unknown status {code!r}")
    stamp = _text(status, "Timestamp", limit=30)
    try:
        timestamp = datetime.strptime(stamp, "%Y/%m/%d %H:%M:%S") if stamp else None
    except ValueError as exc:
        raise EdxmlError(f"Status/Timestamp: {stamp!r} is not yyyy/MM/dd HH:mm:ss") from exc
    return StatusMessage(sender=_read_organ(_find(status, "From"), "Status/From"),
                         document_id=_text(status, "ResponseFor/DocumentId", required=True, limit=120),
                         status_code=code, description=_text(status, "Description"), timestamp=timestamp,
                         staff_name=_text(status, "StaffInfo/Staff", limit=200),
                         department=_text(status, "StaffInfo/Department", limit=200))


def check_document(package: DocumentPackage) -> None:
    """The same limits as reading, so we never send what a receiver would refuse."""
    for name, value in (("CodeNumber", package.code_number), ("CodeNotation", package.code_notation),
                        ("Subject", package.subject)):
        if not value:
            raise EdxmlError(f"{name}: required")
        if len(value) > LIMITS[name]:
            raise EdxmlError(f"{name}: {len(value)} characters, at most {LIMITS[name]} allowed")
    for organ in (package.sender, *package.receivers):
        if not valid_unit_code(organ.organ_id):
            raise EdxmlError(f"OrganId: {organ.organ_id!r} is not a QCVN 102 unit code (NNN.NN.NN.XNN)")
