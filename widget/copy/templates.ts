/**
 * Built-in card copy: English, German and Chinese. Each reason kind has a few variants the bandit
 * (`bandit.ts`) chooses among by clicks. Slots in braces are filled only from catalog and profile facts
 * (see `copy.ts`); a template whose slot has no value is never used, so no line can state a fact the
 * catalog does not hold, and a kind is offered only where its evidence holds (`EVIDENCE` in `copy.ts`).
 * `neutral` (the product's own category) stands in where no claim has evidence; one of its variants
 * names no slot, so every card has a line. Merchants replace or add lists per locale with the `copy`
 * config key.
 */
import type { CopyKind } from '../ranking/merchant.ts';

type Templates = Partial<Record<CopyKind, string[]>>;

export const BUILT_IN: Record<string, Record<CopyKind, string[]>> = {
  en: {
    viewed: ['Because you viewed {title}', 'Picked after your visit to {title}'],
    similar: ['Shoppers who viewed {title} chose this next', 'Also picked after {title} by other shoppers'],
    cart: ['Goes with {title} in your cart', 'Pairs with the {title} in your cart'],
    category: ['More {category}, a favourite of yours', 'From {category}, where you browse most'],
    price_drop: ['Now {sale_price}, was {price}', 'Price drop: {sale_price} instead of {price}'],
    low_stock: ['Only {stock} left', 'Just {stock} in stock'],
    trending: ['Trending in our shop right now', 'Popular with shoppers lately'],
    bestseller: ['One of our bestsellers', 'A shop bestseller'],
    featured: ['Featured in our shop'],
    history: ['You viewed this'],
    personal: ['Picked for you', 'Chosen for you on this device'],
    same_brand: ['Same brand as {title}', 'Also from {brand}, like {title}'],
    more_in: ['More in {category}', 'Also in {category}, like {title}'],
    neutral: ['From our {product_category} range', 'From our catalog'],
  },
  de: {
    viewed: ['Weil Sie {title} angesehen haben', 'Passend zu Ihrem Besuch bei {title}'],
    similar: ['Wer {title} angesehen hat, wählte danach dies', 'Von anderen Kunden nach {title} gewählt'],
    cart: ['Passt zu {title} in Ihrem Warenkorb', 'Ergänzt {title} in Ihrem Warenkorb'],
    category: ['Mehr aus {category}, einer Ihrer Lieblingskategorien', 'Aus {category}, wo Sie am meisten stöbern'],
    price_drop: ['Jetzt {sale_price} statt {price}', 'Preis gesenkt: {sale_price} statt {price}'],
    low_stock: ['Nur noch {stock} auf Lager', 'Nur noch {stock} Stück verfügbar'],
    trending: ['Gerade gefragt in unserem Shop', 'Zuletzt bei Kunden beliebt'],
    bestseller: ['Einer unserer Bestseller', 'Ein Bestseller im Shop'],
    featured: ['Empfohlen von unserem Shop'],
    history: ['Von Ihnen angesehen'],
    personal: ['Für Sie ausgewählt', 'Auf Ihrem Gerät für Sie ausgewählt'],
    same_brand: ['Dieselbe Marke wie {title}', 'Auch von {brand}, wie {title}'],
    more_in: ['Mehr aus {category}', 'Auch aus {category}, wie {title}'],
    neutral: ['Aus unserem Sortiment: {product_category}', 'Aus unserem Sortiment'],
  },
  zh: {
    viewed: ['因为您浏览过{title}', '根据您浏览的{title}推荐'],
    similar: ['浏览过{title}的顾客接下来选择了它', '其他顾客在{title}之后选择了它'],
    cart: ['与购物车中的{title}搭配', '搭配您购物车里的{title}'],
    category: ['更多您喜爱的{category}', '来自您最常浏览的{category}'],
    price_drop: ['现价{sale_price}，原价{price}', '降价：{sale_price}（原价{price}）'],
    low_stock: ['仅剩{stock}件', '库存仅剩{stock}件'],
    trending: ['本店当下热门', '近期人气商品'],
    bestseller: ['本店畅销品', '畅销好物'],
    featured: ['本店推荐'],
    history: ['您浏览过'],
    personal: ['为您精选', '在您的设备上为您挑选'],
    same_brand: ['与{title}同一品牌', '同为{brand}出品，如{title}'],
    more_in: ['更多{category}商品', '与{title}同属{category}'],
    neutral: ['本店{product_category}商品', '来自本店商品目录'],
  },
};

/**
 * Kinds of "why this" explanation: the tier a card came from, plus the cart variant of `personal`, and
 * `ranked_after` for a pick ranked after the product on screen whose next step no table shows shoppers took,
 * `similar_none` for `similar` about a variant group whose titles give it no name, `content_*` for a model
 * pick ranked from its catalog details alone (no id row: new, or held out of training; with the content
 * fact that ties it to the history, if one does), and `history_other` for a viewed product whose size
 * viewed is sold out (the card shows one in stock).
 */
export type WhyKind =
  | 'personal'
  | 'personal_cart'
  | 'personal_none'
  | 'ranked_after'
  | 'similar'
  | 'similar_none'
  | 'content_brand'
  | 'content_category'
  | 'content'
  | 'same_category'
  | 'trending'
  | 'bestseller'
  | 'catalog'
  | 'pinned'
  | 'history'
  | 'history_other'
  | 'neutral'
  | 'boosted';

/** "Why this" explanations: fixed per locale (not bandit-chosen: an explanation is not marketing). */
export const WHY: Record<string, Record<WhyKind, string>> = {
  en: {
    personal: 'Ranked on this device from your activity in this shop, most recently {title}. Your history never leaves this device.',
    personal_cart: 'Ranked on this device from what is in your cart ({title}). Your history never leaves this device.',
    personal_none: 'Ranked on this device from your activity in this shop. Your history never leaves this device.',
    ranked_after: 'Ranked on this device from {title}, the product you are viewing. Your history never leaves this device.',
    similar: 'Other shoppers who looked at {title} went on to choose this.',
    similar_none: 'Other shoppers who looked at the product on this page went on to choose this.',
    content_brand: 'Ranked on this device from its catalog details alone (category, brand, price): it is the same brand as {title}. Your history never leaves this device.',
    content_category: 'Ranked on this device from its catalog details alone (category, brand, price): it is in the same category as {title}. Your history never leaves this device.',
    content: 'Ranked on this device from its catalog details alone (category, brand, price). Your history never leaves this device.',
    same_category: 'In {category}, as is {title}, the product on this page (from the shop’s catalog).',
    trending: 'Trending: it was in many shoppers’ recent activity in this shop (anonymous, noised counts).',
    bestseller: 'One of the shop’s bestsellers, from the shop’s own sales list.',
    catalog: 'From the shop’s catalog, in the shop’s own order.',
    pinned: 'Placed here by the shop.',
    history: 'You viewed this product; the list is kept on this device only.',
    history_other: 'You viewed {title}, which is sold out; this card shows a variant you can order. The list is kept on this device only.',
    neutral: 'From the shop’s catalog.',
    boosted: 'The shop gives it extra weight.',
  },
  de: {
    personal: 'Auf diesem Gerät aus Ihren Aktivitäten in diesem Shop berechnet, zuletzt {title}. Ihr Verlauf verlässt dieses Gerät nie.',
    personal_cart: 'Auf diesem Gerät aus Ihrem Warenkorb berechnet ({title}). Ihr Verlauf verlässt dieses Gerät nie.',
    personal_none: 'Auf diesem Gerät aus Ihren Aktivitäten in diesem Shop berechnet. Ihr Verlauf verlässt dieses Gerät nie.',
    ranked_after: 'Auf diesem Gerät aus {title} berechnet, dem Produkt, das Sie gerade ansehen. Ihr Verlauf verlässt dieses Gerät nie.',
    similar: 'Andere Kunden, die {title} angesehen haben, wählten danach dies.',
    similar_none: 'Andere Kunden, die das Produkt auf dieser Seite angesehen haben, wählten danach dies.',
    content_brand: 'Auf diesem Gerät allein aus den Katalogangaben (Kategorie, Marke, Preis) berechnet: dieselbe Marke wie {title}. Ihr Verlauf verlässt dieses Gerät nie.',
    content_category: 'Auf diesem Gerät allein aus den Katalogangaben (Kategorie, Marke, Preis) berechnet: dieselbe Kategorie wie {title}. Ihr Verlauf verlässt dieses Gerät nie.',
    content: 'Auf diesem Gerät allein aus den Katalogangaben (Kategorie, Marke, Preis) berechnet. Ihr Verlauf verlässt dieses Gerät nie.',
    same_category: 'Aus {category}, wie {title}, das Produkt auf dieser Seite (laut Katalog des Shops).',
    trending: 'Gefragt: zuletzt bei vielen Kunden dieses Shops im Verlauf (anonyme, verrauschte Zählung).',
    bestseller: 'Einer der Bestseller des Shops, laut seiner eigenen Verkaufsliste.',
    catalog: 'Aus dem Katalog des Shops, in seiner eigenen Reihenfolge.',
    pinned: 'Vom Shop an dieser Stelle platziert.',
    history: 'Sie haben dieses Produkt angesehen; die Liste bleibt auf diesem Gerät.',
    history_other: 'Sie haben {title} angesehen, das ausverkauft ist; diese Karte zeigt eine bestellbare Variante. Die Liste bleibt auf diesem Gerät.',
    neutral: 'Aus dem Katalog des Shops.',
    boosted: 'Der Shop gewichtet es höher.',
  },
  zh: {
    personal: '根据您在本店的浏览记录（最近：{title}）在本设备上计算。您的记录不会离开本设备。',
    personal_cart: '根据您购物车中的商品（{title}）在本设备上计算。您的记录不会离开本设备。',
    personal_none: '根据您在本店的浏览记录在本设备上计算。您的记录不会离开本设备。',
    ranked_after: '根据您正在浏览的{title}在本设备上计算。您的记录不会离开本设备。',
    similar: '浏览过{title}的其他顾客之后选择了它。',
    similar_none: '浏览过本页商品的其他顾客之后选择了它。',
    content_brand: '仅根据商品目录信息（类别、品牌、价格）在本设备上计算：与{title}同一品牌。您的记录不会离开本设备。',
    content_category: '仅根据商品目录信息（类别、品牌、价格）在本设备上计算：与{title}属于同一类别。您的记录不会离开本设备。',
    content: '仅根据商品目录信息（类别、品牌、价格）在本设备上计算。您的记录不会离开本设备。',
    same_category: '与本页商品{title}同属{category}（来自本店商品目录）。',
    trending: '热门：近期出现在许多顾客的浏览记录中（匿名、加噪统计）。',
    bestseller: '本店畅销品之一（来自本店自己的销售榜单）。',
    catalog: '来自本店商品目录，按本店自己的顺序排列。',
    pinned: '由本店放在此位置。',
    history: '您浏览过此商品；该列表仅保存在本设备上。',
    history_other: '您浏览过的{title}已售罄；此卡片显示可订购的款式。该列表仅保存在本设备上。',
    neutral: '来自本店商品目录。',
    boosted: '本店提高了它的权重。',
  },
};

/** UI strings of the card and the profile panel. A count's forms other than `key` are `key.one`, `key.two`, ... (`uiCount`). */
export const UI: Record<string, Record<string, string>> = {
  en: {
    label: 'Recommended products',
    why: 'Why this?',
    // The button's accessible name: its visible text first (WCAG 2.5.3), then the product it explains.
    whyFor: 'Why this? {title}',
    keys: 'Arrow keys, Home and End move between products; Tab leaves the list.',
    now: 'Now',
    was: 'was',
    profile: 'Your recommendation profile',
    stored: 'Stored on this device',
    events: '{n} events',
    'events.one': '{n} event',
    more: '{n} more',
    categories: 'Favourite categories',
    segment: 'Segment',
    price: 'Usual price range',
    none: 'Nothing stored.',
    pause: 'Pause personalisation',
    resume: 'Resume personalisation',
    paused: 'Paused: new activity is not stored.',
    erase: 'Erase all',
    erased: 'Everything EdgeRecs stored on this device is erased.',
    close: 'Close',
    previous: 'Previous',
    next: 'Next',
  },
  de: {
    label: 'Empfohlene Produkte',
    why: 'Warum?',
    whyFor: 'Warum? {title}',
    keys: 'Pfeiltasten, Pos1 und Ende wechseln zwischen den Produkten; Tab verlässt die Liste.',
    now: 'Jetzt',
    was: 'statt',
    profile: 'Ihr Empfehlungsprofil',
    stored: 'Auf diesem Gerät gespeichert',
    events: '{n} Ereignisse',
    'events.one': '{n} Ereignis',
    more: '{n} weitere Produkte',
    'more.one': '{n} weiteres Produkt',
    categories: 'Lieblingskategorien',
    segment: 'Segment',
    price: 'Übliche Preisspanne',
    none: 'Nichts gespeichert.',
    pause: 'Personalisierung pausieren',
    resume: 'Personalisierung fortsetzen',
    paused: 'Pausiert: neue Aktivität wird nicht gespeichert.',
    erase: 'Alles löschen',
    erased: 'Alles, was EdgeRecs auf diesem Gerät gespeichert hat, ist gelöscht.',
    close: 'Schließen',
    previous: 'Zurück',
    next: 'Weiter',
  },
  zh: {
    label: '推荐商品',
    why: '为什么推荐？',
    whyFor: '为什么推荐？{title}',
    keys: '方向键、Home 和 End 键可在商品之间切换；Tab 键离开列表。',
    now: '现价',
    was: '原价',
    profile: '您的推荐档案',
    stored: '保存在本设备上',
    events: '{n} 条记录',
    more: '另外{n}件商品',
    categories: '喜爱的类别',
    segment: '分组',
    price: '常见价格区间',
    none: '没有保存任何内容。',
    pause: '暂停个性化',
    resume: '恢复个性化',
    paused: '已暂停：新的浏览记录不会被保存。',
    erase: '全部清除',
    erased: 'EdgeRecs 在本设备上保存的所有内容已清除。',
    close: '关闭',
    previous: '上一个',
    next: '下一个',
  },
};
