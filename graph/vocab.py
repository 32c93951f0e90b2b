"""The project's vocabulary as rdflib namespaces: the core layer (imports only rdflib).

``AG`` is a :class:`rdflib.namespace.DefinedNamespace` with ``_fail = True``: a term the
ontology does not define raises instead of minting a new IRI, so a typo fails where it is
written. ``tests/test_vocab.py`` checks that the class lists exactly the terms of
``ontology/alliance.ttl``.

>>> AG.memberOf
rdflib.term.URIRef('https://w3id.org/alliance-graph/ontology#memberOf')
>>> AG.memberof
Traceback (most recent call last):
...
AttributeError: term 'memberof' not in namespace 'https://w3id.org/alliance-graph/ontology#'
>>> AGR.CAN
rdflib.term.URIRef('https://w3id.org/alliance-graph/id/CAN')
"""

from __future__ import annotations

from rdflib import namespace as _namespace
from rdflib.namespace import Namespace
from rdflib.term import URIRef

__all__ = ["AG", "AGR", "AGSH", "ANALYTICS_GRAPH", "STANDARD_PREFIXES"]


# The base class is reached through its module: as a global of this module, pytest's doctest
# finder would probe it (and rdflib warn about the probe).
class AG(_namespace.DefinedNamespace):
    """The ontology's classes and properties (``ontology/alliance.ttl``)."""

    _NS = Namespace("https://w3id.org/alliance-graph/ontology#")
    _fail = True
    #: Terms that are not Python names (``AG["dsd-DefenceExpenditure"]``).
    _extras = [
        "dsd-DefenceExpenditure",
        "dsd-DefenceExpenditure-estimate",
        "dsd-DefenceExpenditure-indicator",
        "dsd-DefenceExpenditure-obsValue",
        "dsd-DefenceExpenditure-refArea",
        "dsd-DefenceExpenditure-refPeriod",
    ]

    # classes and concepts
    AccedingParty: URIRef
    AcceleratorSite: URIRef
    ActionPlan: URIRef
    Actor: URIRef
    Adopted: URIRef
    Agreed: URIRef
    Agreement: URIRef
    AgreementKind: URIRef
    AirDefenceSystem: URIRef
    Aircraft: URIRef
    Announced: URIRef
    Announcement: URIRef
    AntiSubmarineWeapon: URIRef
    ArmouredVehicle: URIRef
    ArmsTransfer: URIRef
    Artillery: URIRef
    Attendance: URIRef
    AttendanceLevel: URIRef
    Attendee: URIRef
    Bilateral: URIRef
    Budget: URIRef
    BudgetFigure: URIRef
    Buyer: URIRef
    Cancelled: URIRef
    Chair: URIRef
    City: URIRef
    Claim: URIRef
    Cohort: URIRef
    Commitment: URIRef
    Company: URIRef
    ConsultationObligation: URIRef
    Contract: URIRef
    Contradicted: URIRef
    DatePrecision: URIRef
    DayPrecision: URIRef
    Decision: URIRef
    DecisionType: URIRef
    Declared: URIRef
    DefenceExpenditureConstantUSD: URIRef
    DefenceExpenditurePerCapita: URIRef
    DefenceExpenditureShareOfGDP: URIRef
    DefenceMinisterLevel: URIRef
    DefenceObligation: URIRef
    Delivered: URIRef
    Delivering: URIRef
    Delivery: URIRef
    DeputyHeadOfGovernmentLevel: URIRef
    DevelopmentLead: URIRef
    Document: URIRef
    Endorsed: URIRef
    Engine: URIRef
    EnteredIntoForce: URIRef
    Entity: URIRef
    EquipmentShare: URIRef
    Established: URIRef
    Event: URIRef
    Extended: URIRef
    Figure: URIRef
    FinancingInstrument: URIRef
    ForeignMinisterLevel: URIRef
    Forum: URIRef
    FoundingMember: URIRef
    Fund: URIRef
    Funder: URIRef
    Funding: URIRef
    GovernmentBody: URIRef
    Grouping: URIRef
    HeadOfStateOrGovernmentLevel: URIRef
    Host: URIRef
    HostPartner: URIRef
    Hosting: URIRef
    Indicator: URIRef
    IndicatorScheme: URIRef
    Initiative: URIRef
    InterimHolder: URIRef
    InternationalOrganisation: URIRef
    ItemCategory: URIRef
    Launched: URIRef
    LimitedPartner: URIRef
    Location: URIRef
    MadePublic: URIRef
    MajorConventionalWeapon: URIRef
    MedicalSystem: URIRef
    Meeting: URIRef
    Member: URIRef
    Membership: URIRef
    MilestoneType: URIRef
    Minilateral: URIRef
    Ministerial: URIRef
    Missile: URIRef
    MonthPrecision: URIRef
    Multilateral: URIRef
    NationalSecurityAdviserLevel: URIRef
    NavalWeapon: URIRef
    NeutralityObligation: URIRef
    NonAggressionObligation: URIRef
    ObligationScheme: URIRef
    ObligationSuspension: URIRef
    ObligationType: URIRef
    OffenceObligation: URIRef
    Office: URIRef
    Opinion: URIRef
    Ordered: URIRef
    OrganisationalLink: URIRef
    Organiser: URIRef
    OriginalParty: URIRef
    OtherWeapon: URIRef
    Panel: URIRef
    Participant: URIRef
    Participation: URIRef
    PartlyVerified: URIRef
    Partner: URIRef
    PartnerFramework: URIRef
    Partnership: URIRef
    Person: URIRef
    Place: URIRef
    Pledge: URIRef
    Position: URIRef
    Programme: URIRef
    Proposal: URIRef
    Publication: URIRef
    Quote: URIRef
    Relationship: URIRef
    Role: URIRef
    RoleHolding: URIRef
    Satellite: URIRef
    SeedArticle: URIRef
    Sensor: URIRef
    Services: URIRef
    Ship: URIRef
    Signatory: URIRef
    Signed: URIRef
    Signing: URIRef
    Source: URIRef
    SpendingTarget: URIRef
    State: URIRef
    Statement: URIRef
    Strategy: URIRef
    Succession: URIRef
    Summit: URIRef
    Supersession: URIRef
    Supplier: URIRef
    Supply: URIRef
    Suspended: URIRef
    TechnologyArea: URIRef
    TechnologyLink: URIRef
    Terminated: URIRef
    TestCentre: URIRef
    TransferStatus: URIRef
    Treaty: URIRef
    TreatyMilestone: URIRef
    TreatyParty: URIRef
    Unverified: URIRef
    VerificationStatus: URIRef
    Verified: URIRef
    ViceChair: URIRef
    Visit: URIRef
    WeaponCategoryScheme: URIRef
    YearPrecision: URIRef

    # properties
    about: URIRef
    agreementKind: URIRef
    agreementType: URIRef
    amount: URIRef
    announcedDate: URIRef
    articulationPoint: URIRef
    asOf: URIRef
    atEvent: URIRef
    attendanceLevel: URIRef
    attended: URIRef
    betweenness: URIRef
    bridgeCount: URIRef
    budgetYear: URIRef
    buyer: URIRef
    claimText: URIRef
    claimant: URIRef
    closeness: URIRef
    committedTo: URIRef
    community: URIRef
    contradictionNote: URIRef
    contradicts: URIRef
    coreNumber: URIRef
    credibility: URIRef
    currency: URIRef
    date: URIRef
    datePrecision: URIRef
    deadlineYear: URIRef
    decided: URIRef
    decisionType: URIRef
    degree: URIRef
    deliveryNote: URIRef
    deliveryYear: URIRef
    depositary: URIRef
    durationYears: URIRef
    eigenvectorCentrality: URIRef
    endDate: URIRef
    endPrecision: URIRef
    estimate: URIRef
    fiscalYearLabel: URIRef
    funds: URIRef
    hasRegionalHub: URIRef
    hasRegionalOffice: URIRef
    holdsPosition: URIRef
    hosts: URIRef
    inSipriScope: URIRef
    indicator: URIRef
    iso3: URIRef
    itemCategory: URIRef
    itemDescription: URIRef
    itemDesignation: URIRef
    ledDevelopmentOf: URIRef
    licensedProduction: URIRef
    linkedToTechnology: URIRef
    locatedIn: URIRef
    memberOf: URIRef
    milestone: URIRef
    modularity: URIRef
    object: URIRef
    obligation: URIRef
    obsValue: URIRef
    ofTransfer: URIRef
    orderDate: URIRef
    orderPrecision: URIRef
    pageRank: URIRef
    partOf: URIRef
    partOfProgramme: URIRef
    participatesIn: URIRef
    partnerOf: URIRef
    partyTo: URIRef
    percentOfGDP: URIRef
    postIn: URIRef
    priceYear: URIRef
    proposed: URIRef
    published: URIRef
    quantity: URIRef
    quantityDelivered: URIRef
    quotedText: URIRef
    recipientState: URIRef
    refArea: URIRef
    refPeriod: URIRef
    relatedTo: URIRef
    relation: URIRef
    reliability: URIRef
    representedBy: URIRef
    role: URIRef
    runs: URIRef
    secondHand: URIRef
    seed: URIRef
    seedFile: URIRef
    signed: URIRef
    sourceKey: URIRef
    startDate: URIRef
    startPrecision: URIRef
    status: URIRef
    subject: URIRef
    succeeds: URIRef
    supersedes: URIRef
    supplier: URIRef
    supplierState: URIRef
    suppliesTo: URIRef
    suspended: URIRef
    suspendedObligationsTo: URIRef
    transferStatus: URIRef
    treaty: URIRef
    unit: URIRef
    value: URIRef
    weightedDegree: URIRef


#: The graph's own resources (``agr:CAN``, ``agr:st-...``): open, any local name.
AGR = Namespace("https://w3id.org/alliance-graph/id/")
#: The shapes (``ontology/shapes.ttl``).
AGSH = Namespace("https://w3id.org/alliance-graph/shapes#")
#: The named graph the analytics write-back goes to.
ANALYTICS_GRAPH = URIRef("https://w3id.org/alliance-graph/graph/analytics")

#: Prefixes every query may use without declaring them (the project's and the usual ones).
STANDARD_PREFIXES: dict[str, str] = {
    "ag": str(AG._NS),
    "agr": str(AGR),
    "agsh": str(AGSH),
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "time": "http://www.w3.org/2006/time#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "wd": "http://www.wikidata.org/entity/",
    "qb": "http://purl.org/linked-data/cube#",
}
