"""arXiv category codes: telling them from MSC/ACM classes, and reading the display
names that OAI ``oai_dc`` records use instead of codes.

Categories look like ``cs.LG``, ``hep-th``, ``math.GT``, ``physics.comp-ph``,
``q-bio.NC`` or an old archive such as ``solv-int``. Terms such as ``14C20, 14M99``
(MSC) or ``I.2.6`` (ACM) are not categories.
"""

from __future__ import annotations

import re

# Archives, current and retired (retired ones still appear on old papers).
_ARCHIVE_LIST = """astro-ph cond-mat cs econ eess gr-qc hep-ex hep-lat hep-ph hep-th math
    math-ph nlin
    nucl-ex nucl-th physics q-bio q-fin quant-ph stat
    acc-phys adap-org alg-geom ao-sci atom-ph bayes-an chao-dyn chem-ph cmp-lg comp-gas
    dg-ga funct-an mtrl-th patt-sol plasm-ph q-alg solv-int supr-con"""
ARCHIVES = frozenset(_ARCHIVE_LIST.split())

_CATEGORY = re.compile(r"^(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.(?:[A-Z]{2}|[a-z]+(?:-[a-z]+)?))?$")


def is_arxiv_category(term: str) -> bool:
    """True for an arXiv category or archive code; False for MSC/ACM classes and junk."""
    m = _CATEGORY.match(term.strip())
    return m is not None and m.group("archive") in ARCHIVES


def clean_categories(terms: list[str], primary: str | None = None) -> list[str]:
    """Valid category codes in order, duplicates dropped, ``primary`` first."""
    out: list[str] = []
    if primary and is_arxiv_category(primary):
        out.append(primary.strip())
    for term in terms:
        t = term.strip()
        if t and t not in out and is_arxiv_category(t):
            out.append(t)
    return out


# Display names (as in oai_dc <dc:subject>) -> category codes.
_GROUPS: dict[str, tuple[str, dict[str, str]]] = {
    "Astrophysics": (
        "astro-ph",
        {
            "Astrophysics of Galaxies": "GA",
            "Cosmology and Nongalactic Astrophysics": "CO",
            "Earth and Planetary Astrophysics": "EP",
            "High Energy Astrophysical Phenomena": "HE",
            "Instrumentation and Methods for Astrophysics": "IM",
            "Solar and Stellar Astrophysics": "SR",
        },
    ),
    "Condensed Matter": (
        "cond-mat",
        {
            "Disordered Systems and Neural Networks": "dis-nn",
            "Materials Science": "mtrl-sci",
            "Mesoscale and Nanoscale Physics": "mes-hall",
            "Other Condensed Matter": "other",
            "Quantum Gases": "quant-gas",
            "Soft Condensed Matter": "soft",
            "Statistical Mechanics": "stat-mech",
            "Strongly Correlated Electrons": "str-el",
            "Superconductivity": "supr-con",
        },
    ),
    "Computer Science": (
        "cs",
        {
            "Artificial Intelligence": "AI",
            "Hardware Architecture": "AR",
            "Computational Complexity": "CC",
            "Computational Engineering, Finance, and Science": "CE",
            "Computational Geometry": "CG",
            "Computation and Language": "CL",
            "Cryptography and Security": "CR",
            "Computer Vision and Pattern Recognition": "CV",
            "Computers and Society": "CY",
            "Digital Libraries": "DL",
            "Databases": "DB",
            "Data Structures and Algorithms": "DS",
            "Discrete Mathematics": "DM",
            "Distributed, Parallel, and Cluster Computing": "DC",
            "Emerging Technologies": "ET",
            "Formal Languages and Automata Theory": "FL",
            "General Literature": "GL",
            "Graphics": "GR",
            "Computer Science and Game Theory": "GT",
            "Human-Computer Interaction": "HC",
            "Information Retrieval": "IR",
            "Information Theory": "IT",
            "Machine Learning": "LG",
            "Learning": "LG",
            "Logic in Computer Science": "LO",
            "Multiagent Systems": "MA",
            "Multimedia": "MM",
            "Mathematical Software": "MS",
            "Numerical Analysis": "NA",
            "Neural and Evolutionary Computing": "NE",
            "Networking and Internet Architecture": "NI",
            "Other Computer Science": "OH",
            "Operating Systems": "OS",
            "Performance": "PF",
            "Programming Languages": "PL",
            "Robotics": "RO",
            "Symbolic Computation": "SC",
            "Sound": "SD",
            "Software Engineering": "SE",
            "Social and Information Networks": "SI",
            "Systems and Control": "SY",
        },
    ),
    "Economics": (
        "econ",
        {
            "Econometrics": "EM",
            "General Economics": "GN",
            "Theoretical Economics": "TH",
        },
    ),
    "Electrical Engineering and Systems Science": (
        "eess",
        {
            "Audio and Speech Processing": "AS",
            "Image and Video Processing": "IV",
            "Signal Processing": "SP",
            "Systems and Control": "SY",
        },
    ),
    "High Energy Physics": (
        "hep",
        {
            "Experiment": "hep-ex",
            "Lattice": "hep-lat",
            "Phenomenology": "hep-ph",
            "Theory": "hep-th",
        },
    ),
    "Mathematics": (
        "math",
        {
            "Commutative Algebra": "AC",
            "Algebraic Geometry": "AG",
            "Analysis of PDEs": "AP",
            "Algebraic Topology": "AT",
            "Classical Analysis and ODEs": "CA",
            "Combinatorics": "CO",
            "Category Theory": "CT",
            "Complex Variables": "CV",
            "Differential Geometry": "DG",
            "Dynamical Systems": "DS",
            "Functional Analysis": "FA",
            "General Mathematics": "GM",
            "General Topology": "GN",
            "Group Theory": "GR",
            "Geometric Topology": "GT",
            "History and Overview": "HO",
            "Information Theory": "IT",
            "K-Theory and Homology": "KT",
            "Logic": "LO",
            "Metric Geometry": "MG",
            "Mathematical Physics": "MP",
            "Numerical Analysis": "NA",
            "Number Theory": "NT",
            "Operator Algebras": "OA",
            "Optimization and Control": "OC",
            "Probability": "PR",
            "Quantum Algebra": "QA",
            "Rings and Algebras": "RA",
            "Representation Theory": "RT",
            "Symplectic Geometry": "SG",
            "Spectral Theory": "SP",
            "Statistics Theory": "ST",
        },
    ),
    "Nonlinear Sciences": (
        "nlin",
        {
            "Adaptation and Self-Organizing Systems": "AO",
            "Chaotic Dynamics": "CD",
            "Cellular Automata and Lattice Gases": "CG",
            "Pattern Formation and Solitons": "PS",
            "Exactly Solvable and Integrable Systems": "SI",
        },
    ),
    "Physics": (
        "physics",
        {
            "Accelerator Physics": "acc-ph",
            "Applied Physics": "app-ph",
            "Atmospheric and Oceanic Physics": "ao-ph",
            "Atomic and Molecular Clusters": "atm-clus",
            "Atomic Physics": "atom-ph",
            "Biological Physics": "bio-ph",
            "Chemical Physics": "chem-ph",
            "Classical Physics": "class-ph",
            "Computational Physics": "comp-ph",
            "Data Analysis, Statistics and Probability": "data-an",
            "Physics Education": "ed-ph",
            "Fluid Dynamics": "flu-dyn",
            "General Physics": "gen-ph",
            "Geophysics": "geo-ph",
            "History and Philosophy of Physics": "hist-ph",
            "Instrumentation and Detectors": "ins-det",
            "Medical Physics": "med-ph",
            "Optics": "optics",
            "Plasma Physics": "plasm-ph",
            "Popular Physics": "pop-ph",
            "Physics and Society": "soc-ph",
            "Space Physics": "space-ph",
        },
    ),
    "Quantitative Biology": (
        "q-bio",
        {
            "Biomolecules": "BM",
            "Cell Behavior": "CB",
            "Genomics": "GN",
            "Molecular Networks": "MN",
            "Neurons and Cognition": "NC",
            "Other Quantitative Biology": "OT",
            "Populations and Evolution": "PE",
            "Quantitative Methods": "QM",
            "Subcellular Processes": "SC",
            "Tissues and Organs": "TO",
        },
    ),
    "Quantitative Finance": (
        "q-fin",
        {
            "Computational Finance": "CP",
            "Economics": "EC",
            "General Finance": "GN",
            "Mathematical Finance": "MF",
            "Portfolio Management": "PM",
            "Pricing of Securities": "PR",
            "Risk Management": "RM",
            "Statistical Finance": "ST",
            "Trading and Market Microstructure": "TR",
        },
    ),
    "Statistics": (
        "stat",
        {
            "Applications": "AP",
            "Computation": "CO",
            "Methodology": "ME",
            "Machine Learning": "ML",
            "Other Statistics": "OT",
            "Statistics Theory": "TH",
        },
    ),
}

_SINGLE = {
    "General Relativity and Quantum Cosmology": "gr-qc",
    "Mathematical Physics": "math-ph",
    "Nuclear Experiment": "nucl-ex",
    "Nuclear Theory": "nucl-th",
    "Quantum Physics": "quant-ph",
}


def _build() -> dict[str, str]:
    names = dict(_SINGLE)
    for group, (archive, subs) in _GROUPS.items():
        names[group] = archive if archive in ARCHIVES else names.get(group, "")
        for sub, code in subs.items():
            names[f"{group} - {sub}"] = code if archive == "hep" else f"{archive}.{code}"
    return {k: v for k, v in names.items() if v}


SUBJECT_NAMES: dict[str, str] = _build()


def category_from_subject(subject: str) -> str | None:
    """``Computer Science - Machine Learning`` -> ``cs.LG``; a code passes through;
    None for anything else (MSC codes, free text)."""
    s = " ".join(subject.split())
    if s in SUBJECT_NAMES:
        return SUBJECT_NAMES[s]
    if is_arxiv_category(s):
        return s
    return None
